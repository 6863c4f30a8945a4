using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Controller;

/// <summary>A segment as the controller sees it: its id (epoch &lt;&lt; 32 | number), key range and data.</summary>
internal sealed class StreamSegment(long segmentId, KeyRange range, Segment data)
{
    public long SegmentId { get; } = segmentId;
    public KeyRange Range { get; } = range;
    public Segment Data { get; } = data;
}
