namespace Pravega.Embedded.SegmentStore;

/// <summary>What <see cref="SegmentReader.ReadEvent"/> found at an offset.</summary>
internal enum SegmentReadStatus : byte
{
    /// <summary>An event starts at the offset and is durable: <see cref="SegmentRead{T}.Event"/> holds it.</summary>
    Event,

    /// <summary>The offset is below the segment's start: <see cref="SegmentRead{T}.StartOffset"/> is where it starts now.</summary>
    Truncated,

    /// <summary>Nothing durable at the offset yet (the tail of a segment still open, or a seal not yet durable).</summary>
    NotYetAvailable,

    /// <summary>The offset is the end of a sealed segment: nothing will ever be there.</summary>
    EndOfSegment,

    /// <summary>The offset lies inside an event, not at its first byte.</summary>
    NotAtEventBoundary,

    /// <summary>
    /// The event is in Tier-2 and not in memory: the caller loads its block (<see cref="SegmentReader.LoadAsync"/>) and
    /// reads again with it.
    /// </summary>
    InTier2,
}

/// <summary>
/// The answer to "the event at this offset of this segment": a status, and for <see cref="SegmentReadStatus.Event"/>
/// the deserialized event and the bytes it takes. A value, so reading allocates nothing beyond what the serializer does.
/// </summary>
/// <typeparam name="T">The type the caller's serializer produces.</typeparam>
internal readonly struct SegmentRead<T>
{
    private SegmentRead(SegmentReadStatus status, T? value, long offset, int length, long startOffset)
    {
        Status = status;
        Event = value;
        Offset = offset;
        Length = length;
        StartOffset = startOffset;
    }

    public SegmentReadStatus Status { get; }

    /// <summary>The event, for <see cref="SegmentReadStatus.Event"/>; default otherwise.</summary>
    public T? Event { get; }

    /// <summary>The offset of the event, for <see cref="SegmentReadStatus.Event"/>.</summary>
    public long Offset { get; }

    /// <summary>Bytes the event takes in the segment (its <c>[i32 length]</c> header included), for <see cref="SegmentReadStatus.Event"/>.</summary>
    public int Length { get; }

    /// <summary>Offset of the next event (<see cref="Offset"/> + <see cref="Length"/>), for <see cref="SegmentReadStatus.Event"/>.</summary>
    public long NextOffset => Offset + Length;

    /// <summary>The segment's start offset, for <see cref="SegmentReadStatus.Truncated"/>.</summary>
    public long StartOffset { get; }

    public static SegmentRead<T> Of(T value, long offset, int length) => new(SegmentReadStatus.Event, value, offset, length, 0);

    public static SegmentRead<T> Truncated(long startOffset) => new(SegmentReadStatus.Truncated, default, 0, 0, startOffset);

    public static SegmentRead<T> Not(SegmentReadStatus status) => new(status, default, 0, 0, 0);
}
