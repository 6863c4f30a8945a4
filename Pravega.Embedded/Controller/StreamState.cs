namespace Pravega.Embedded.Controller;

/// <summary>
/// A stream's metadata: configuration, seal, and its segments. Mutated only under the container lock; readers of
/// <see cref="ActiveSegments"/> get an immutable snapshot that is replaced, never changed.
/// </summary>
internal sealed class StreamState
{
    // Concurrent: segments are added under the container lock, looked up by readers and fetches without it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, StreamSegment> _segments = new();

    public StreamState(string scope, string name, long id, StreamConfiguration config)
    {
        Scope = scope;
        Name = name;
        Id = id;
        Config = config;
    }

    public string Scope { get; }
    public string Name { get; }

    /// <summary>Internal id, never reused, that WAL records name the stream by.</summary>
    public long Id { get; }

    public StreamConfiguration Config { get; set; }
    public bool IsSealed { get; set; }
    public bool IsDeleted { get; set; }


    /// <summary>The current epoch: 0 at creation, one more with each scale.</summary>
    public int Epoch { get; private set; }

    /// <summary>The number the next segment created gets (numbers run across epochs, as in Pravega).</summary>
    public int NextSegmentNumber { get; private set; }

    /// <summary>Active segments ordered by key range.</summary>
    public IReadOnlyList<StreamSegment> ActiveSegments { get; private set; } = [];

    /// <summary>
    /// The segments of the stream's head, ordered by key range: where reading from the start begins (the first epoch's
    /// segments until a truncation moves it). Each is read from its start offset.
    /// </summary>
    public IReadOnlyList<StreamSegment> HeadSegments { get; private set; } = [];

    /// <summary>Every segment of every epoch (a snapshot).</summary>
    public IReadOnlyCollection<StreamSegment> AllSegments => (IReadOnlyCollection<StreamSegment>)_segments.Values;

    public bool TryGetSegment(long segmentId, out StreamSegment segment) => _segments.TryGetValue(segmentId, out segment!);

    /// <summary>Sets up a stream's segments (creation and checkpoints; container lock): the epoch, the numbering, every segment.</summary>
    public void Restore(int epoch, int nextSegmentNumber, IEnumerable<StreamSegment> segments, IEnumerable<StreamSegment> active, IEnumerable<StreamSegment> head)
    {
        Epoch = epoch;
        NextSegmentNumber = nextSegmentNumber;
        foreach (var s in segments) _segments.TryAdd(s.SegmentId, s);
        ActiveSegments = Sorted(active);
        HeadSegments = Sorted(head);
    }

    /// <summary>
    /// A scale (container lock; validated): <paramref name="created"/> replace <paramref name="sealedSegments"/> in the
    /// next epoch, each linked to the sealed segments its range overlaps.
    /// </summary>
    public void Scale(IReadOnlyList<StreamSegment> sealedSegments, IReadOnlyList<StreamSegment> created)
    {
        foreach (var s in sealedSegments)
            foreach (var c in created)
                if (s.Overlaps(c.Range)) s.Precede(c);
        foreach (var c in created) _segments.TryAdd(c.SegmentId, c);
        ActiveSegments = Sorted(ActiveSegments.Except(sealedSegments).Concat(created));
        Epoch++;
        NextSegmentNumber += created.Count;
    }

    /// <summary>
    /// Forgets a segment wholly before the head whose predecessors are forgotten already (container lock): metadata and
    /// memory stay bounded by the live part of the stream, not by its scale history.
    /// </summary>
    public void Forget(StreamSegment segment)
    {
        _segments.TryRemove(segment.SegmentId, out _);
        foreach (var successor in segment.Successors) successor.ForgetPredecessor(segment);
    }

    /// <summary>Moves the head (container lock; a valid cut at or after the current head).</summary>
    public void SetHead(IEnumerable<StreamSegment> head) => HeadSegments = Sorted(head);

    /// <summary>
    /// The segment lies wholly before the head: every head segment overlapping it follows it (container lock; a head
    /// segment overlaps itself and so never is). Its data is then truncated away: no read from any cut at or after the
    /// head reaches it.
    /// </summary>
    public bool IsBeforeHead(StreamSegment segment)
    {
        foreach (var h in HeadSegments)
            if (h.Overlaps(segment.Range) && !h.Follows(segment)) return false;
        return true;
    }

    private static StreamSegment[] Sorted(IEnumerable<StreamSegment> segments) => [.. segments.OrderBy(s => s.Range.Low)];

    /// <summary>The active segment whose key range holds <paramref name="point"/> (O(log segments)).</summary>
    public StreamSegment Route(double point)
    {
        var active = ActiveSegments;
        int lo = 0, hi = active.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (active[mid].Range.Low <= point) lo = mid;
            else hi = mid - 1;
        }
        return active[lo];
    }

    public override string ToString() => $"{Scope}/{Name}";
}
