using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Controller;

/// <summary>
/// A segment as the controller sees it: its id (epoch &lt;&lt; 32 | number), key range, data, and its place in the
/// stream's scale history: the segments it replaced (sealed by the scale that created it) and those that replaced it.
/// </summary>
internal sealed class StreamSegment(long segmentId, KeyRange range, Segment data)
{
    private readonly List<StreamSegment> _predecessors = [];
    private readonly List<StreamSegment> _successors = [];

    public long SegmentId { get; } = segmentId;
    public KeyRange Range { get; } = range;
    public Segment Data { get; } = data;

    /// <summary>The epoch whose scale created the segment (the high half of its id).</summary>
    public int Epoch => (int)(SegmentId >> 32);

    /// <summary>The segments sealed by the scale that created this one whose ranges overlap its range (container lock).</summary>
    public IReadOnlyList<StreamSegment> Predecessors => _predecessors;

    /// <summary>The segments created by the scale that sealed this one whose ranges overlap its range (container lock).</summary>
    public IReadOnlyList<StreamSegment> Successors => _successors;

    /// <summary>Links <paramref name="successor"/> after this segment (container lock).</summary>
    public void Precede(StreamSegment successor)
    {
        _successors.Add(successor);
        successor._predecessors.Add(this);
    }

    /// <summary>
    /// Forgets a predecessor that the stream forgot (container lock): it lay wholly before the head, its data is gone,
    /// and nothing before the head is read. The predecessor keeps its own successor links, for a reader still in it.
    /// </summary>
    public void ForgetPredecessor(StreamSegment predecessor) => _predecessors.Remove(predecessor);

    /// <summary>The ranges share some of the key space.</summary>
    public bool Overlaps(KeyRange other) => Range.Overlaps(other);

    /// <summary>
    /// This segment came after <paramref name="other"/> where they share the key space: their ranges overlap and this one
    /// was created in a later epoch (at every point of the key space, the segments over it follow one another in epoch
    /// order).
    /// </summary>
    public bool Follows(StreamSegment other) => Epoch > other.Epoch && Overlaps(other.Range);

    public override string ToString() => $"{SegmentId >> 32}.{(int)SegmentId} [{Range.Low}, {Range.High})";
}
