using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

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
    private List<MergedRange>? _merges;
    private long _durableLength;
    private long _startOffset;
    private long _tieredLength;
    private volatile bool _sealedDurable;
    private volatile bool _deleted;
    private volatile bool _holdsBytes;
    private volatile TierView? _view;

    /// <param name="streamId">The stream's internal id.</param>
    /// <param name="segmentId">The segment's id in its stream.</param>
    /// <param name="scope">The stream's scope (names its Tier-2 directory).</param>
    /// <param name="stream">The stream's name (names its Tier-2 directory).</param>
    public Segment(long streamId, long segmentId, string scope, string stream)
    {
        StreamId = streamId;
        SegmentId = segmentId;
        Scope = scope;
        Stream = stream;
    }

    public long StreamId { get; }

    public long SegmentId { get; }

    public string Scope { get; }

    public string Stream { get; }

    /// <summary>Where the segment's chunks live in Tier-2 (<see cref="ChunkNames.SegmentPrefix"/>).</summary>
    public string TierPrefix => ChunkNames.SegmentPrefix(Scope, Stream, StreamId, SegmentId);

    /// <summary>The segment's stream was deleted (its record accepted): nothing more is tiered, its Tier-2 data goes once the deletion is durable.</summary>
    public bool IsDeleted => _deleted;

    /// <summary>
    /// The offset up to which the bytes are in Tier-2, durably recorded: below it (and from <see cref="StartOffset"/>)
    /// they are read from chunks (<see cref="View"/>), and the index no longer holds them. Moves forward only; read lock-free.
    /// </summary>
    public long TieredLength => Volatile.Read(ref _tieredLength);

    /// <summary>The tiered length including a record not yet durable (container lock).</summary>
    public long AcceptedTieredLength { get; private set; }

    /// <summary>Where the tiered bytes are, as the tierer last published it (null: not loaded yet, or nothing tiered).</summary>
    public TierView? View
    {
        get => _view;
        set => _view = value;
    }

    /// <summary>
    /// Signalled when this segment gets readable data, is sealed, or is deleted: readers wait on the segments they
    /// read, so a commit wakes only the readers of the segments it touched.
    /// </summary>
    public DataSignal Signal { get; } = new();

    /// <summary>
    /// The segment holds a byte stream's bytes, not events (set under the container lock by the first byte commit placed in
    /// it, or by restore; read lock-free): no event framing, every offset is a boundary, and event reads and appends are
    /// refused.
    /// </summary>
    public bool HoldsBytes
    {
        get => _holdsBytes;
        set => _holdsBytes = value;
    }

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
        EventCount++;
        _addedSinceTrim = true;
    }

    /// <summary>
    /// Shrinks the index's page to what its live entries need if nothing was added since the last call (container lock):
    /// a segment under load keeps its page (no copy and re-growth after each drop), an idle one gives it back.
    /// </summary>
    public void TrimIndexIfIdle()
    {
        if (!_addedSinceTrim) _index.Trim();
        _addedSinceTrim = false;
    }

    /// <summary>Events appended since the store opened, replayed ones included (container lock): what rates are taken from.</summary>
    public long EventCount { get; private set; }

    /// <summary>Index entries held (truncation drops them a page at a time).</summary>
    public int IndexCount => _index.Count;

    private bool _addedSinceTrim;

    public void Seal() => IsSealed = true;

    /// <summary>Called when appends up to <paramref name="length"/> are durable.</summary>
    public void MakeDurable(long length) => Volatile.Write(ref _durableLength, length);

    public void MakeSealDurable() => _sealedDurable = true;

    /// <summary>The segment is in the container's set of segments with untiered bytes (container lock).</summary>
    public bool InUntiered { get; set; }

    /// <summary>Marks the segment deleted (container lock).</summary>
    public void Delete() => _deleted = true;

    /// <summary>Accepts a tiered length (container lock); a lower one than the current one is ignored.</summary>
    public void AcceptTiered(long tieredLength)
    {
        if (tieredLength > AcceptedTieredLength) AcceptedTieredLength = tieredLength;
    }

    /// <summary>
    /// Makes a tiered length visible (container lock, or replay), and drops the index pages that hold only entries below
    /// it: those bytes are read from Tier-2 from now on.
    /// </summary>
    public void MakeTieredDurable(long tieredLength)
    {
        AcceptTiered(tieredLength);
        if (tieredLength <= _tieredLength) return;
        Volatile.Write(ref _tieredLength, tieredLength);
        _index.DropBefore(tieredLength);
        DropMergesBefore();
    }

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
        DropMergesBefore();
    }

    /// <summary>The entry holding byte <paramref name="offset"/>, if it is durable and not truncated.</summary>
    public bool TryFind(long offset, out SegmentIndexEntry entry)
    {
        entry = default;
        if (offset < StartOffset || offset >= DurableLength) return false;
        return Search(offset, out entry);
    }

    /// <summary>
    /// The durable, live index entries from the one starting at <paramref name="offset"/> on, as many as fit
    /// <paramref name="into"/> (lock-free): their count, 0 when the index has none there, -1 when the offset is inside one.
    /// </summary>
    public int CopyEntries(long offset, Span<SegmentIndexEntry> into)
    {
        if (offset < StartOffset) return 0;
        long durable = DurableLength;
        return offset >= durable ? 0 : _index.CopyFrom(offset, durable, into);
    }

    /// <summary>
    /// True when an event starts at <paramref name="offset"/> (any offset of a segment that <see cref="HoldsBytes"/>) or it
    /// is the durable end; null when only Tier-2 can tell
    /// (the offset is tiered and the index no longer holds it). Meant for offsets at or above
    /// <see cref="AcceptedStartOffset"/> (index entries below the start may be gone).
    /// </summary>
    public bool? IsEventBoundary(long offset)
    {
        long durable = DurableLength;
        if (offset == durable) return true;
        if (offset < 0 || offset > durable) return false;
        if (HoldsBytes) return true;
        if (Search(offset, out var entry)) return entry.Offset == offset;
        return offset < TieredLength ? null : false;
    }

    /// <summary>
    /// The greatest event boundary at or before <paramref name="offset"/> among the durable bytes, but not below
    /// <see cref="AcceptedStartOffset"/> (container lock). Binary search of the index; in tiered bytes the index no
    /// longer holds, the greatest boundary the Tier-2 view records (at most a block before it).
    /// </summary>
    public long BoundaryAtOrBefore(long offset)
    {
        long floor = AcceptedStartOffset;
        if (offset <= floor) return floor;
        long durable = DurableLength;
        if (offset >= durable) return durable;
        if (HoldsBytes) return offset;
        if (Search(offset, out var entry)) return Math.Max(floor, entry.Offset);
        return offset < TieredLength && View is { } view ? Math.Max(floor, view.KnownBoundaryAtOrBefore(offset)) : floor;
    }

    /// <summary>
    /// The index entry of the first live byte that is not in Tier-2 (at the accepted start or tiered length, whichever
    /// is greater; container lock); false when there is none (nothing appended after it).
    /// </summary>
    public bool TryFindFirstUntiered(out SegmentIndexEntry entry)
    {
        entry = default;
        long first = FirstUntiered;
        return first < Length && Search(first, out entry);
    }

    /// <summary>
    /// Notes that a transaction commit placed <paramref name="range"/> at the end of this segment (container lock; its
    /// entries were added with <see cref="Add"/>).
    /// </summary>
    public void AddMerge(in MergedRange range) => (_merges ??= []).Add(range);

    /// <summary>
    /// The oldest WAL file holding a live byte of this segment that is not in Tier-2 (container lock;
    /// <see cref="long.MaxValue"/>: none). Plain appends lie in the WAL in offset order, but a committed transaction's
    /// entries point at its earlier records, so each merged range counts with its oldest file.
    /// </summary>
    public long OldestUntieredFile
    {
        get
        {
            long first = FirstUntiered;
            if (first >= Length) return long.MaxValue;
            long file = Search(first, out var entry) ? entry.Address.FileSequence : long.MaxValue;
            if (_merges is { } merges)
                foreach (var m in merges)
                    if (m.End > first) file = Math.Min(file, m.FirstFile);
            return file;
        }
    }

    /// <summary>
    /// Where replay from a checkpoint starts placing this segment's live bytes again (container lock): the record that
    /// placed the first live byte not in Tier-2 (its append, or the commit whose range holds it) and the offset that
    /// record's bytes start at. False when there is no such byte.
    /// </summary>
    public bool TryFindLivePlacement(out LogAddress address, out long offset)
    {
        long first = FirstUntiered;
        if (_merges is { } merges)
            foreach (var m in merges)
                if (m.Contains(first))
                {
                    (address, offset) = (m.CommitAddress, m.Start);
                    return true;
                }
        if (TryFindFirstUntiered(out var entry))
        {
            (address, offset) = (entry.Address, entry.Offset);
            return true;
        }
        (address, offset) = (default, 0);
        return false;
    }

    /// <summary>Forgets merged ranges wholly below the first live untiered byte: their files are not needed for them any more.</summary>
    private void DropMergesBefore()
    {
        if (_merges is not { } merges) return;
        long first = Math.Max(StartOffset, TieredLength);
        int gone = 0;
        while (gone < merges.Count && merges[gone].End <= first) gone++;
        if (gone == merges.Count) _merges = null;
        else if (gone > 0) merges.RemoveRange(0, gone);
    }

    /// <summary>The first live byte not in Tier-2 (container lock).</summary>
    public long FirstUntiered => Math.Max(AcceptedStartOffset, AcceptedTieredLength);

    /// <summary>
    /// Where the next tiering pass starts (container lock): the tiered length, or the durable start when a truncation
    /// passed it (never a start a crash could take back: a pass that skips bytes relies on their truncation).
    /// </summary>
    public long TierFrom => Math.Max(StartOffset, AcceptedTieredLength);

    /// <summary>
    /// A segment restored from a checkpoint: nothing is indexed yet, and its bytes from <paramref name="liveOffset"/> on
    /// are indexed again as replay meets their records (replay only; the truncation came with the checkpoint); the bytes
    /// below <paramref name="tieredLength"/> are in Tier-2.
    /// </summary>
    public void RestoreFrom(long liveOffset, long tieredLength)
    {
        Length = liveOffset;
        Volatile.Write(ref _durableLength, liveOffset);
        AcceptedTieredLength = tieredLength;
        Volatile.Write(ref _tieredLength, tieredLength);
    }

    /// <summary>
    /// Replay from a checkpoint met the entry holding a byte stream's live start (a truncation inside a chunk): indexing
    /// resumes at that entry's start, below the live start, so that the entry is indexed whole (replay only).
    /// </summary>
    public void ResumeAt(long offset)
    {
        Length = offset;
        Volatile.Write(ref _durableLength, offset);
    }

    private bool Search(long offset, out SegmentIndexEntry entry) => _index.TryFind(offset, out entry);
}
