namespace Pravega.Embedded;

/// <summary>A segment of a stream together with a range of its bytes, as listed by <see cref="IBatchClient"/> and <see cref="IStreamManager.GetActiveSegmentsAsync"/>.</summary>
/// <param name="Scope">Scope of the stream.</param>
/// <param name="Stream">Name of the stream.</param>
/// <param name="SegmentId">The segment id: <c>epoch &lt;&lt; 32 | segment number</c>.</param>
/// <param name="KeyRange">The part of the routing key space the segment owns (or owned, once sealed).</param>
/// <param name="StartOffset">First offset of the range: an event boundary (the segment's start, or a stream cut's offset).</param>
/// <param name="EndOffset">End of the range, exclusive: an event boundary (the segment's current length, or a stream cut's offset).</param>
public sealed record SegmentRange(string Scope, string Stream, long SegmentId, KeyRange KeyRange, long StartOffset, long EndOffset);
