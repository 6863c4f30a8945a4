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
}
