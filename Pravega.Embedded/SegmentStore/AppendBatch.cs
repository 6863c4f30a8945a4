namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Events of one writer for the segments of one stream, gathered under the container lock and then appended as few
/// records as fit (<see cref="SegmentContainer.AppendBatched"/>): record 14, one frame, one header and one writer id for
/// many events instead of one each (docs/FORMAT.md). Gathering changes nothing; only appending does, so a batch given up
/// halfway (an error) leaves no trace. The container owns one and reuses it.
/// </summary>
internal sealed class AppendBatch
{
    private readonly List<BatchedEvent> _events = [];

    /// <summary>The stream the events go to.</summary>
    public long StreamId { get; private set; }

    /// <summary>The writer id they carry.</summary>
    public string WriterId { get; private set; } = "";

    /// <summary>The writer's exactly-once state, if it has any yet.</summary>
    public WriterState? Writer { get; set; }

    /// <summary>The highest event number gathered (-1: none): later numbers at or below it are duplicates.</summary>
    public long LastEventNumber { get; private set; } = SegmentContainer.NoEventNumber;

    public ReadOnlySpan<BatchedEvent> Events => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_events);

    public bool IsEmpty => _events.Count == 0;

    /// <summary>Starts gathering for <paramref name="writerId"/> on <paramref name="streamId"/>, forgetting what was gathered before.</summary>
    public void Begin(long streamId, string writerId, WriterState? writer)
    {
        _events.Clear();
        (StreamId, WriterId, Writer, LastEventNumber) = (streamId, writerId, writer, SegmentContainer.NoEventNumber);
    }

    /// <summary>
    /// Gathers one event for <paramref name="segment"/> (container lock; the caller has checked the stream), with the
    /// exactly-once check of <see cref="SegmentContainer.AppendEvent"/>: a number not above the writer's last accepted one, or the last
    /// one gathered, is a duplicate (<paramref name="duplicateLsn"/>: the LSN carrying the original, 0 when it is durable
    /// already or in this batch); a sealed segment takes nothing (route again). Nothing changes until
    /// <see cref="SegmentContainer.AppendBatched"/>.
    /// </summary>
    public GatherOutcome TryGather(Segment segment, long eventNumber, int start, int length, out long duplicateLsn)
    {
        duplicateLsn = 0;
        if (eventNumber != SegmentContainer.NoEventNumber)
        {
            if (eventNumber <= LastEventNumber) return GatherOutcome.Duplicate;
            if (Writer is { } writer && eventNumber <= writer.AcceptedEventNumber)
            {
                duplicateLsn = writer.AcceptedLsn;
                return GatherOutcome.Duplicate;
            }
        }
        if (segment.IsSealed) return GatherOutcome.Sealed;
        if (segment.HoldsBytes) throw new InvalidOperationException($"Stream {segment.Scope}/{segment.Stream} is a byte stream; events cannot be written to it.");
        if (segment.StreamId != StreamId) throw new InvalidOperationException($"Segment {segment.SegmentId} is not of stream {StreamId}, which the batch appends to.");
        Add(new BatchedEvent(segment, eventNumber, start, length));
        return GatherOutcome.Gathered;
    }

    private void Add(in BatchedEvent e)
    {
        _events.Add(e);
        if (e.EventNumber != SegmentContainer.NoEventNumber) LastEventNumber = e.EventNumber;
    }

    /// <summary>Drops what was gathered (appended, or given up).</summary>
    public void Clear() => _events.Clear();
}

/// <summary>One gathered event: its segment, its event number (or none), and where its serialized bytes lie in the caller's buffer.</summary>
internal readonly record struct BatchedEvent(Segment Segment, long EventNumber, int Start, int Length);

/// <summary>What <see cref="AppendBatch.TryGather"/> did with an event.</summary>
internal enum GatherOutcome
{
    /// <summary>Taken into the batch.</summary>
    Gathered,

    /// <summary>Its event number is not above the writer's last: nothing is written for it.</summary>
    Duplicate,

    /// <summary>The segment is sealed: route the event again.</summary>
    Sealed,
}
