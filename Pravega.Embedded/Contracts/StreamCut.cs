using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Pravega.Embedded;

/// <summary>
/// A consistent position in one stream: for each segment of a set that covers the key space once, the offset of
/// an event boundary in it. Stream cuts bound reads (<see cref="StreamSelection"/>, <see cref="IBatchClient"/>),
/// truncate streams (<see cref="IStreamManager.TruncateStreamAsync"/>) and make up checkpoints.
/// </summary>
/// <remarks>
/// A stream cut is immutable and has value semantics: two cuts are equal when they name the same stream and hold
/// the same (segment id, offset) pairs, whatever the order of the dictionary they were built from. Segment ids
/// encode <c>epoch &lt;&lt; 32 | segment number</c>, as in Pravega. <see cref="ToBase64"/> gives a compact text
/// form that <see cref="FromBase64"/> reads back, also in later versions of the library.
/// </remarks>
public sealed class StreamCut : IEquatable<StreamCut>
{
    private const string TokenKind = "stream cut";

    private readonly ImmutableSortedDictionary<long, long> _positions;

    /// <summary>
    /// Creates a stream cut of <paramref name="scope"/>/<paramref name="stream"/>. The positions are copied, so
    /// later changes to <paramref name="positions"/> do not affect the cut.
    /// </summary>
    /// <param name="scope">Scope of the stream; not empty (only <see cref="Unbounded"/> has an empty scope).</param>
    /// <param name="stream">Name of the stream; not empty.</param>
    /// <param name="positions">Segment id -&gt; offset of an event boundary in that segment.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="scope"/> or <paramref name="stream"/> is empty.</exception>
    public StreamCut(string scope, string stream, IReadOnlyDictionary<long, long> positions)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(positions);
        Scope = scope;
        Stream = stream;
        _positions = ImmutableSortedDictionary.CreateRange(positions);
    }

    private StreamCut()
    {
        Scope = string.Empty;
        Stream = string.Empty;
        _positions = ImmutableSortedDictionary<long, long>.Empty;
    }

    /// <summary>
    /// The cut that bounds nothing: as a start it means the head of the stream, as an end the unbounded tail.
    /// Its <see cref="Scope"/> and <see cref="Stream"/> are empty and it has no positions.
    /// </summary>
    public static StreamCut Unbounded { get; } = new();

    /// <summary>True for <see cref="Unbounded"/> (and any cut equal to it, such as one read back from its token).</summary>
    public bool IsUnbounded => Scope.Length == 0;

    /// <summary>Scope of the stream; empty for <see cref="Unbounded"/>.</summary>
    public string Scope { get; }

    /// <summary>Name of the stream; empty for <see cref="Unbounded"/>.</summary>
    public string Stream { get; }

    /// <summary>Segment id -&gt; offset, in ascending order of segment id. Never null; empty for <see cref="Unbounded"/>.</summary>
    public IReadOnlyDictionary<long, long> Positions => _positions;

    /// <summary>
    /// Reads a cut back from the text of <see cref="ToBase64"/>.
    /// </summary>
    /// <param name="text">A token produced by <see cref="ToBase64"/>.</param>
    /// <returns>A cut equal to the one that produced <paramref name="text"/> (<see cref="Unbounded"/> itself for its token).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not a stream cut token (ParamName <c>text</c>).</exception>
    public static StreamCut FromBase64(string text)
    {
        TokenReader reader = TokenCodec.Open(text, TokenCodec.StreamCutTag, TokenKind, nameof(text));
        string scope = reader.ReadString();
        string stream = reader.ReadString();
        int count = reader.ReadCount(2 * sizeof(long));
        var builder = ImmutableSortedDictionary.CreateBuilder<long, long>();
        for (int i = 0; i < count; i++)
        {
            long segmentId = reader.ReadInt64();
            long offset = reader.ReadInt64();
            if (!builder.TryAdd(segmentId, offset))
            {
                reader.Fail("duplicate segment id");
            }
        }

        reader.EnsureEnd();
        if (scope.Length == 0 && stream.Length == 0 && count == 0)
        {
            return Unbounded;
        }

        if (scope.Length == 0 || stream.Length == 0)
        {
            reader.Fail("empty scope or stream name");
        }

        return new StreamCut(scope, stream, builder.ToImmutable());
    }

    /// <summary>
    /// A compact, versioned base64 text of this cut, to store and later pass to <see cref="FromBase64"/>.
    /// </summary>
    public string ToBase64()
    {
        int size = TokenCodec.HeaderSize + TokenCodec.StringSize(Scope) + TokenCodec.StringSize(Stream)
                 + sizeof(int) + (_positions.Count * 2 * sizeof(long));
        var writer = new TokenWriter(new byte[size], TokenCodec.StreamCutTag);
        writer.WriteString(Scope);
        writer.WriteString(Stream);
        writer.WriteInt32(_positions.Count);
        foreach (KeyValuePair<long, long> position in _positions)
        {
            writer.WriteInt64(position.Key);
            writer.WriteInt64(position.Value);
        }

        return writer.ToBase64();
    }

    /// <summary>True when <paramref name="other"/> names the same stream and holds the same positions.</summary>
    public bool Equals(StreamCut? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._positions.Count != _positions.Count
            || !string.Equals(Scope, other.Scope, StringComparison.Ordinal)
            || !string.Equals(Stream, other.Stream, StringComparison.Ordinal))
        {
            return false;
        }

        // Both are sorted by segment id, so equal cuts enumerate identically.
        using var mine = _positions.GetEnumerator();
        using var theirs = other._positions.GetEnumerator();
        while (mine.MoveNext() && theirs.MoveNext())
        {
            if (mine.Current.Key != theirs.Current.Key || mine.Current.Value != theirs.Current.Value)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as StreamCut);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Scope, StringComparer.Ordinal);
        hash.Add(Stream, StringComparer.Ordinal);
        foreach (KeyValuePair<long, long> position in _positions)
        {
            hash.Add(position.Key);
            hash.Add(position.Value);
        }

        return hash.ToHashCode();
    }

    /// <summary>A readable form such as <c>scope/stream{0:120, 4294967297:0}</c>, or <c>StreamCut.Unbounded</c>.</summary>
    public override string ToString()
    {
        if (IsUnbounded)
        {
            return "StreamCut.Unbounded";
        }

        var text = new StringBuilder();
        text.Append(Scope).Append('/').Append(Stream).Append('{');
        bool first = true;
        foreach (KeyValuePair<long, long> position in _positions)
        {
            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            text.Append(CultureInfo.InvariantCulture, $"{position.Key}:{position.Value}");
        }

        return text.Append('}').ToString();
    }
}
