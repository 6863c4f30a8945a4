using Pravega.Embedded.Controller;

namespace Pravega.Embedded.Client.Internal;

/// <summary>A reader group's read position in one segment, owned by at most one reader at a time.</summary>
internal sealed class SegmentCursor(SegmentKey key, StreamState stream, StreamSegment segment, long offset, long endOffset)
{
    public SegmentKey Key { get; } = key;
    public StreamState Stream { get; } = stream;
    public StreamSegment Segment { get; } = segment;

    /// <summary>Offset of the next event to read.</summary>
    public long Offset { get; set; } = offset;

    /// <summary>Where the group stops reading this segment (an end cut), or <see cref="long.MaxValue"/>.</summary>
    public long EndOffset { get; } = endOffset;

    /// <summary>Read to its end cut, or to the end of a sealed segment.</summary>
    public bool IsFinished =>
        Offset >= EndOffset || (Segment.Data.IsSealedDurable && Offset >= Segment.Data.DurableLength);
}
