namespace Pravega.Embedded;

/// <summary>
/// Identifies one segment of one stream; ordered by scope, stream (ordinal) and segment id, so that collections of
/// keys have a stable order (tokens, hashing).
/// </summary>
/// <param name="Scope">Scope of the stream.</param>
/// <param name="Stream">Name of the stream.</param>
/// <param name="SegmentId">Segment id: <c>epoch &lt;&lt; 32 | segment number</c>.</param>
internal readonly record struct SegmentKey(string Scope, string Stream, long SegmentId) : IComparable<SegmentKey>
{
    /// <inheritdoc/>
    public int CompareTo(SegmentKey other)
    {
        int order = string.CompareOrdinal(Scope, other.Scope);
        if (order == 0)
        {
            order = string.CompareOrdinal(Stream, other.Stream);
        }

        return order != 0 ? order : SegmentId.CompareTo(other.SegmentId);
    }

    /// <summary>The number of the segment within its epoch (low 32 bits of the id).</summary>
    public int SegmentNumber => unchecked((int)SegmentId);

    /// <summary>The epoch that created the segment (high 32 bits of the id).</summary>
    public int Epoch => (int)(SegmentId >> 32);

    /// <summary>Builds a segment id from an epoch and a segment number, as Pravega does.</summary>
    public static long ComputeSegmentId(int epoch, int segmentNumber) => ((long)epoch << 32) | (uint)segmentNumber;

    /// <summary><c>scope/stream/number.#epoch.N</c>, Pravega's qualified segment name.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Scope}/{Stream}/{SegmentNumber}.#epoch.{Epoch}");
}
