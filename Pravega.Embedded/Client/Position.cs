using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Pravega.Embedded;

/// <summary>
/// Where a reader stands: for every segment it owns, the offset of the next event it would read. Obtained from
/// <see cref="EventRead{T}.Position"/> and handed to <see cref="IReaderGroup.ReaderOfflineAsync"/> so that another
/// reader resumes exactly there.
/// </summary>
/// <remarks>
/// Immutable, with value semantics. <see cref="ToBase64"/> gives a compact, versioned text form that
/// <see cref="FromBase64"/> reads back, also in later versions of the library.
/// </remarks>
public sealed class Position : IEquatable<Position>
{
    private const string TokenKind = "position";

    private readonly SegmentKey[]? _keys;
    private readonly long[]? _offsets;
    private ImmutableSortedDictionary<SegmentKey, long>? _owned;

    /// <summary>Creates a position; the dictionary is copied.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="ownedSegments"/> is null.</exception>
    internal Position(IReadOnlyDictionary<SegmentKey, long> ownedSegments)
    {
        ArgumentNullException.ThrowIfNull(ownedSegments);
        _owned = ImmutableSortedDictionary.CreateRange(ownedSegments);
    }

    /// <summary>
    /// Creates a position from parallel arrays that the caller hands over (never changes them afterwards). The sorted
    /// dictionary is built only if someone looks: a reader makes a position per event, and most are never read.
    /// </summary>
    internal Position(SegmentKey[] keys, long[] offsets)
    {
        _keys = keys;
        _offsets = offsets;
    }

    private ImmutableSortedDictionary<SegmentKey, long> _ownedSegments
    {
        get
        {
            if (_owned is { } owned) return owned;
            var builder = ImmutableSortedDictionary.CreateBuilder<SegmentKey, long>();
            for (int i = 0; i < _keys!.Length; i++) builder[_keys[i]] = _offsets![i];
            return _owned = builder.ToImmutable();
        }
    }

    /// <summary>A position that owns no segment.</summary>
    internal static Position Empty { get; } = new(ImmutableSortedDictionary<SegmentKey, long>.Empty);

    /// <summary>Owned segment -&gt; offset of the next event to read in it, in <see cref="SegmentKey"/> order.</summary>
    internal IReadOnlyDictionary<SegmentKey, long> OwnedSegments => _ownedSegments;

    /// <summary>Reads a position back from the text of <see cref="ToBase64"/>.</summary>
    /// <param name="text">A token produced by <see cref="ToBase64"/>.</param>
    /// <returns>A position equal to the one that produced <paramref name="text"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not a position token (ParamName <c>text</c>).</exception>
    public static Position FromBase64(string text)
    {
        TokenReader reader = TokenCodec.Open(text, TokenCodec.PositionTag, TokenKind, nameof(text));

        // Grouped by stream: stream count, then per stream its names, segment count and (segment id, offset) pairs.
        int streamCount = reader.ReadCount((2 * sizeof(ushort)) + sizeof(int));
        var builder = ImmutableSortedDictionary.CreateBuilder<SegmentKey, long>();
        for (int s = 0; s < streamCount; s++)
        {
            string scope = reader.ReadString();
            string stream = reader.ReadString();
            if (scope.Length == 0 || stream.Length == 0)
            {
                reader.Fail("empty scope or stream name");
            }

            int segmentCount = reader.ReadCount(2 * sizeof(long));
            for (int i = 0; i < segmentCount; i++)
            {
                var key = new SegmentKey(scope, stream, reader.ReadInt64());
                if (!builder.TryAdd(key, reader.ReadInt64()))
                {
                    reader.Fail("duplicate segment");
                }
            }
        }

        reader.EnsureEnd();
        return new Position(builder.ToImmutable());
    }

    /// <summary>A compact, versioned base64 text of this position, to store and later pass to <see cref="FromBase64"/>.</summary>
    public string ToBase64()
    {
        int size = TokenCodec.HeaderSize + sizeof(int);
        int streamCount = 0;
        SegmentKey? previous = null;
        foreach (KeyValuePair<SegmentKey, long> owned in _ownedSegments)
        {
            if (previous is not { } p || !SameStream(p, owned.Key))
            {
                streamCount++;
                size += TokenCodec.StringSize(owned.Key.Scope) + TokenCodec.StringSize(owned.Key.Stream) + sizeof(int);
            }

            size += 2 * sizeof(long);
            previous = owned.Key;
        }

        var writer = new TokenWriter(new byte[size], TokenCodec.PositionTag);
        writer.WriteInt32(streamCount);

        // Keys are sorted by (scope, stream, segment id): each stream's segments are contiguous.
        int countAt = -1;
        int segmentCount = 0;
        previous = null;
        foreach (KeyValuePair<SegmentKey, long> owned in _ownedSegments)
        {
            if (previous is not { } p || !SameStream(p, owned.Key))
            {
                if (countAt >= 0)
                {
                    writer.PatchInt32(countAt, segmentCount);
                }

                writer.WriteString(owned.Key.Scope);
                writer.WriteString(owned.Key.Stream);
                countAt = writer.Written;
                writer.WriteInt32(0);
                segmentCount = 0;
            }

            writer.WriteInt64(owned.Key.SegmentId);
            writer.WriteInt64(owned.Value);
            segmentCount++;
            previous = owned.Key;
        }

        if (countAt >= 0)
        {
            writer.PatchInt32(countAt, segmentCount);
        }

        return writer.ToBase64();
    }

    /// <summary>True when <paramref name="other"/> owns the same segments at the same offsets.</summary>
    public bool Equals(Position? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._ownedSegments.Count != _ownedSegments.Count)
        {
            return false;
        }

        foreach (KeyValuePair<SegmentKey, long> owned in _ownedSegments)
        {
            if (!other._ownedSegments.TryGetValue(owned.Key, out long offset) || offset != owned.Value)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Position);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (KeyValuePair<SegmentKey, long> owned in _ownedSegments)
        {
            hash.Add(owned.Key);
            hash.Add(owned.Value);
        }

        return hash.ToHashCode();
    }

    /// <summary>A readable form such as <c>Position{s/x/0.#epoch.0:120}</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("Position{");
        bool first = true;
        foreach (KeyValuePair<SegmentKey, long> owned in _ownedSegments)
        {
            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            text.Append(CultureInfo.InvariantCulture, $"{owned.Key}:{owned.Value}");
        }

        return text.Append('}').ToString();
    }

    private static bool SameStream(SegmentKey a, SegmentKey b) =>
        string.Equals(a.Scope, b.Scope, StringComparison.Ordinal) && string.Equals(a.Stream, b.Stream, StringComparison.Ordinal);
}
