using Pravega.Embedded.Controller;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A reader group's read position in one segment. Owned by at most one reader at a time, which moves
/// <see cref="Offset"/>; others (stream cuts, snapshots) only read it.
/// </summary>
internal sealed class SegmentCursor(SegmentKey key, StreamState stream, StreamSegment segment, long offset, long endOffset)
{
    private long _offset = offset;

    public SegmentKey Key { get; } = key;
    public StreamState Stream { get; } = stream;
    public StreamSegment Segment { get; } = segment;

    /// <summary>Offset of the next event to read.</summary>
    public long Offset
    {
        get => Volatile.Read(ref _offset);
        set => Volatile.Write(ref _offset, value);
    }

    /// <summary>The Tier-2 block this reader loaded last for the segment (read events from it while it answers).</summary>
    public SegmentStore.TierBlock? Hint { get; set; }

    /// <summary>
    /// The group took the segment back from its owner (a reader declared offline without a position read a predecessor
    /// of it since the last checkpoint, which is read again first): the owner drops it at its next read and returns no
    /// event read from it after this is set.
    /// </summary>
    public bool Revoked
    {
        get => Volatile.Read(ref _revoked);
        set => Volatile.Write(ref _revoked, value);
    }

    private bool _revoked;

    /// <summary>The reader that read the segment to its end (set when it gives the finished segment back to the group).</summary>
    public string? FinishedBy { get; set; }

    /// <summary>Where the group stops reading this segment (an end cut), or <see cref="long.MaxValue"/>.</summary>
    public long EndOffset { get; } = endOffset;

    /// <summary>Read to its end cut, or to the end of a sealed segment.</summary>
    public bool IsFinished =>
        Offset >= EndOffset || (Segment.Data.IsSealedDurable && Offset >= Segment.Data.DurableLength);

    /// <summary>Bytes durable but not read yet (up to the end cut).</summary>
    public long UnreadBytes => Math.Max(0, Math.Min(EndOffset, Segment.Data.DurableLength) - Offset);

    public SegmentCursor At(long offset) => new(Key, Stream, Segment, offset, EndOffset);
}
