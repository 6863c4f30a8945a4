namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// One segment: an append-only byte sequence. Its length grows as appends are accepted (under the container lock);
/// readers see bytes only up to <see cref="DurableLength"/>, which moves when the WAL reports them durable.
/// The index maps offsets to WAL addresses; it is appended by the container and read lock-free by readers.
/// </summary>
internal sealed class Segment
{
    private SegmentIndexEntry[] _entries = new SegmentIndexEntry[16];
    private int _count;
    private long _durableLength;
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

    /// <summary>Accepts an append of <paramref name="entry"/>'s bytes at the current end (container lock).</summary>
    public void Add(SegmentIndexEntry entry)
    {
        if (_count == _entries.Length)
        {
            var bigger = new SegmentIndexEntry[_entries.Length * 2];
            _entries.AsSpan(0, _count).CopyTo(bigger);
            Volatile.Write(ref _entries, bigger);
        }
        _entries[_count] = entry;
        Volatile.Write(ref _count, _count + 1);
        Length = entry.End;
    }

    public void Seal() => IsSealed = true;

    /// <summary>Called when appends up to <paramref name="length"/> are durable.</summary>
    public void MakeDurable(long length) => Volatile.Write(ref _durableLength, length);

    public void MakeSealDurable() => _sealedDurable = true;

    /// <summary>The entry holding byte <paramref name="offset"/>, if it is durable.</summary>
    public bool TryFind(long offset, out SegmentIndexEntry entry)
    {
        entry = default;
        if (offset < 0 || offset >= DurableLength) return false;
        int count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
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
}
