namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// One segment: an append-only byte sequence. Its length grows as appends are accepted (under the container lock);
/// readers see bytes only up to <see cref="DurableLength"/>, which moves when the WAL reports them durable, and only
/// from <see cref="StartOffset"/>, which moves when a truncation is durable.
/// The index maps offsets to WAL addresses; it is appended by the container and read lock-free by readers.
/// </summary>
internal sealed class Segment
{
    private readonly SegmentIndex _index = new();
    private long _durableLength;
    private long _startOffset;
    private volatile bool _sealedDurable;

    public Segment(long streamId, long segmentId)
    {
        StreamId = streamId;
        SegmentId = segmentId;
    }

    public long StreamId { get; }

    public long SegmentId { get; }

    /// <summary>
    /// Signalled when this segment gets readable data, is sealed, or is deleted: readers wait on the segments they
    /// read, so a commit wakes only the readers of the segments it touched.
    /// </summary>
    public DataSignal Signal { get; } = new();

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
        _index.Add(entry);
        Length = entry.End;
    }

    /// <summary>Index entries held (truncation drops them a page at a time).</summary>
    public int IndexCount => _index.Count;

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
    /// Makes a truncation at <paramref name="offset"/> visible (container lock, or replay), and drops the index pages
    /// that hold only entries below it.
    /// </summary>
    public void MakeTruncationDurable(long offset)
    {
        if (offset > AcceptedStartOffset) AcceptedStartOffset = offset;
        if (offset <= _startOffset) return;
        Volatile.Write(ref _startOffset, offset);
        _index.DropBefore(offset);
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

    /// <summary>
    /// The index entry of the first byte not truncated (the accepted start; container lock); false when there is none
    /// (nothing appended after the start).
    /// </summary>
    public bool TryFindFirstLive(out SegmentIndexEntry entry)
    {
        entry = default;
        return AcceptedStartOffset < Length && Search(AcceptedStartOffset, out entry);
    }

    /// <summary>
    /// A segment restored from a checkpoint: nothing is indexed yet, and its bytes from <paramref name="liveOffset"/> on
    /// are indexed again as replay meets their records (replay only; the truncation came with the checkpoint).
    /// </summary>
    public void RestoreFrom(long liveOffset)
    {
        Length = liveOffset;
        Volatile.Write(ref _durableLength, liveOffset);
    }

    private bool Search(long offset, out SegmentIndexEntry entry) => _index.TryFind(offset, out entry);
}
