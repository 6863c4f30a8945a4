namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Exactly-once state of one writer id on one stream (Pravega keeps it as a segment attribute): the highest
/// event number accepted, the LSN that carries it, and the highest one durable.
/// </summary>
internal sealed class WriterState
{
    private long _durableEventNumber = -1;

    public long AcceptedEventNumber { get; set; } = -1;

    public long AcceptedLsn { get; set; }

    public long DurableEventNumber
    {
        get => Volatile.Read(ref _durableEventNumber);
        set => Volatile.Write(ref _durableEventNumber, value);
    }

    /// <summary>
    /// <paramref name="eventNumber"/> is durable (flusher, container lock): the durable number only moves up, as the
    /// effects of one group commit may carry a writer's numbers out of order (<see cref="PendingEffects"/> merges an
    /// append into its segment's earlier effect).
    /// </summary>
    public void NoteDurable(long eventNumber)
    {
        if (eventNumber > DurableEventNumber) DurableEventNumber = eventNumber;
    }
}
