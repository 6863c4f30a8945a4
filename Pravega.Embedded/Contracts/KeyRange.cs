namespace Pravega.Embedded;

/// <summary>
/// A half-open range <c>[Low, High)</c> of the routing key space <c>[0, 1)</c>, owned by one segment. A routing key
/// maps to a point of the key space through xxHash64 of its UTF-8 bytes; an event goes to the active segment whose
/// range holds that point.
/// </summary>
/// <param name="Low">Inclusive lower bound, at least 0.</param>
/// <param name="High">Exclusive upper bound, above <paramref name="Low"/> and at most 1.</param>
public readonly record struct KeyRange(double Low, double High)
{
    /// <summary>The whole key space, <c>[0, 1)</c>.</summary>
    internal static KeyRange Full => new(0.0, 1.0);

    /// <summary>True when <c>0 &lt;= Low &lt; High &lt;= 1</c> (false for NaN bounds).</summary>
    internal bool IsValid => Low >= 0.0 && Low < High && High <= 1.0;

    /// <summary>True when <paramref name="point"/> lies in <c>[Low, High)</c>.</summary>
    internal bool Contains(double point) => point >= Low && point < High;

    /// <summary>True when the two ranges share some point.</summary>
    internal bool Overlaps(KeyRange other) => Low < other.High && other.Low < High;
}
