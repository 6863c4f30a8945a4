using System.Numerics;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// One segment: an append-only byte sequence. Its length grows as appends are accepted (under the container lock);
/// readers see bytes only up to <see cref="DurableLength"/>, which moves when the WAL reports them durable, and only
/// from <see cref="StartOffset"/>, which moves when a truncation is durable.
/// The index maps offsets to WAL addresses; it is appended by the container and read lock-free by readers.
/// </summary>
internal sealed class Segment
{
    /// <summary>Below this many entries, dropping truncated ones is not worth a copy.</summary>
    private const int MinEntriesToCompact = 64;

    private IndexBlock _index = new(16);
    private long _durableLength;
    private long _startOffset;
    private volatile bool _sealedDurable;

    public Segment(long streamId, long segmentId, DataSignal signal)
    {
        StreamId = streamId;
        SegmentId = segmentId;
        Signal = signal;
    }

    public long StreamId { get; }

    public long SegmentId { get; }

    /// <summary>Signalled when this segment (or another of its stream) gets readable data or is sealed.</summary>
    public DataSignal Signal { get; }

    /// <summary>Length including appends not yet durable (container lock).</summary>
    public long Length { get; private set; }

    /// <summary>No more appends are accepted (container lock).</summary>
    public bool IsSealed { get; private set; }

    /// <summary>The seal is durable: once <see cref="DurableLength"/> reaches <see cref="Length"/>, the segment has ended.</summary>
    public bool IsSealedDurable => _sealedDurable;

    public long DurableLength => Volatile.Read(ref _durableLength);

    /// <summary>
    /// The first readable offset (an event boundary): bytes below it were truncated. Moves forward only, when the
    /// truncation's record is durable; read lock-free.
    /// </summary>
    public long StartOffset => Volatile.Read(ref _startOffset);

    /// <summary>The start offset including truncations not yet durable (container lock); never below <see cref="StartOffset"/>.</summary>
    public long AcceptedStartOffset { get; private set; }

    /// <summary>Accepts an append of <paramref name="entry"/>'s bytes at the current end (container lock).</summary>
    public void Add(SegmentIndexEntry entry)
    {
        var index = _index;
        int count = index.Count;
        if (count == index.Entries.Length)
        {
            var bigger = new IndexBlock(index.Entries.Length * 2);
            index.Entries.AsSpan(0, count).CopyTo(bigger.Entries);
            bigger.Count = count;
            Volatile.Write(ref _index, bigger);
            index = bigger;
        }
        index.Entries[count] = entry;
        Volatile.Write(ref index.Count, count + 1);
        Length = entry.End;
    }

    public void Seal() => IsSealed = true;

    /// <summary>Called when appends up to <paramref name="length"/> are durable.</summary>
    public void MakeDurable(long length) => Volatile.Write(ref _durableLength, length);

    public void MakeSealDurable() => _sealedDurable = true;

    /// <summary>Accepts a truncation at <paramref name="offset"/> (container lock); a lower offset than the current one is ignored.</summary>
    public void Truncate(long offset)
    {
        if (offset > AcceptedStartOffset) AcceptedStartOffset = offset;
    }

    /// <summary>
    /// Makes a truncation at <paramref name="offset"/> visible (container lock, or replay), and drops the index entries
    /// below it when they are at least half of the index, so that the copy is paid for by the entries dropped.
    /// </summary>
    public void MakeTruncationDurable(long offset)
    {
        if (offset > AcceptedStartOffset) AcceptedStartOffset = offset;
        if (offset <= _startOffset) return;
        Volatile.Write(ref _startOffset, offset);
        var index = _index;
        int count = index.Count;
        int first = FirstAtOrAfter(index.Entries, count, offset);
        if (first < MinEntriesToCompact || first < count / 2) return;
        var kept = new IndexBlock(Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)(count - first))));
        index.Entries.AsSpan(first, count - first).CopyTo(kept.Entries);
        kept.Count = count - first;
        Volatile.Write(ref _index, kept);
    }

    /// <summary>The entry holding byte <paramref name="offset"/>, if it is durable and not truncated.</summary>
    public bool TryFind(long offset, out SegmentIndexEntry entry)
    {
        entry = default;
        if (offset < StartOffset || offset >= DurableLength) return false;
        return Search(offset, out entry);
    }

    /// <summary>
    /// True when an event starts at <paramref name="offset"/> or it is the durable end. Meant for offsets at or above
    /// <see cref="AcceptedStartOffset"/> (index entries below the start may be gone).
    /// </summary>
    public bool IsEventBoundary(long offset)
    {
        long durable = DurableLength;
        if (offset == durable) return true;
        return offset >= 0 && offset < durable && Search(offset, out var entry) && entry.Offset == offset;
    }

    /// <summary>
    /// The greatest event boundary at or before <paramref name="offset"/> among the durable bytes, but not below
    /// <see cref="AcceptedStartOffset"/> (container lock). Binary search of the index.
    /// </summary>
    public long BoundaryAtOrBefore(long offset)
    {
        long floor = AcceptedStartOffset;
        if (offset <= floor) return floor;
        long durable = DurableLength;
        if (offset >= durable) return durable;
        return Search(offset, out var entry) ? Math.Max(floor, entry.Offset) : floor;
    }

    private bool Search(long offset, out SegmentIndexEntry entry)
    {
        entry = default;
        var index = Volatile.Read(ref _index);
        int count = Volatile.Read(ref index.Count);
        var entries = index.Entries;
        int lo = 0, hi = count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = entries[mid];
            if (offset < e.Offset) hi = mid - 1;
            else if (offset >= e.End) lo = mid + 1;
            else
            {
                entry = e;
                return true;
            }
        }
        return false;
    }

    /// <summary>Index of the first entry starting at or after <paramref name="offset"/> (<paramref name="count"/> if none).</summary>
    private static int FirstAtOrAfter(SegmentIndexEntry[] entries, int count, long offset)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries[mid].Offset < offset) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// An index array with its own count, published together: a reader that takes a block sees a count that belongs
    /// to it, even when the container replaces the block (to grow it, or to drop truncated entries).
    /// </summary>
    private sealed class IndexBlock(int capacity)
    {
        public readonly SegmentIndexEntry[] Entries = new SegmentIndexEntry[capacity];
        public int Count;
    }
}
