namespace Pravega.Embedded.Controller;

/// <summary>
/// A stream's metadata: configuration, seal, and its segments. Mutated only under the container lock; readers of
/// <see cref="ActiveSegments"/> get an immutable snapshot that is replaced, never changed.
/// </summary>
internal sealed class StreamState
{
    private readonly Dictionary<long, StreamSegment> _segments = [];

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


    /// <summary>Active segments ordered by key range.</summary>
    public IReadOnlyList<StreamSegment> ActiveSegments { get; private set; } = [];

    public IReadOnlyCollection<StreamSegment> AllSegments => _segments.Values;

    public bool TryGetSegment(long segmentId, out StreamSegment segment) => _segments.TryGetValue(segmentId, out segment!);

    public void SetActiveSegments(IEnumerable<StreamSegment> active)
    {
        var sorted = active.OrderBy(s => s.Range.Low).ToArray();
        foreach (var s in sorted) _segments.TryAdd(s.SegmentId, s);
        ActiveSegments = sorted;
    }

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
