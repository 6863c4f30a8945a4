namespace Pravega.Embedded;

/// <summary>
/// The outcome of one <see cref="IEventStreamReader{T}.ReadNextEventAsync"/>: an event, a checkpoint marker, a timeout
/// or the end of the reader's streams. Exactly one of <see cref="HasEvent"/>, <see cref="IsCheckpoint"/> and
/// <see cref="IsEndOfStream"/> is true, or none of them for a timeout.
/// </summary>
/// <typeparam name="T">Type of the events.</typeparam>
public sealed class EventRead<T>
{
    private EventRead(T? evt, bool hasEvent, string? checkpointName, bool isEndOfStream, Position? position, EventPointer? eventPointer)
    {
        Event = evt;
        HasEvent = hasEvent;
        CheckpointName = checkpointName;
        IsEndOfStream = isEndOfStream;
        Position = position;
        EventPointer = eventPointer;
    }

    /// <summary>The event read; <c>default</c> unless <see cref="HasEvent"/> (timeout, checkpoint, end of stream).</summary>
    public T? Event { get; }

    /// <summary>True only when <see cref="Event"/> holds an event (false: timeout, checkpoint, end of stream).</summary>
    public bool HasEvent { get; }

    /// <summary>
    /// True when the reader reached a checkpoint of its group (<see cref="IReaderGroup.InitiateCheckpointAsync"/>):
    /// the reader's position before this result is part of the checkpoint named <see cref="CheckpointName"/>.
    /// </summary>
    public bool IsCheckpoint => CheckpointName is not null;

    /// <summary>The name of the checkpoint reached when <see cref="IsCheckpoint"/>; otherwise null.</summary>
    public string? CheckpointName { get; }

    /// <summary>
    /// True when this reader gets no more events: its group's segments are read to their end cuts or sealed ends.
    /// (<see cref="IEventStreamReader{T}.ReadEventsAsync"/> ends instead of yielding such a result.)
    /// </summary>
    public bool IsEndOfStream { get; }

    /// <summary>
    /// The reader's position after this result (the segments it owns and the offsets of their next events); pass it to
    /// <see cref="IReaderGroup.ReaderOfflineAsync"/> to have another reader resume right after it. Null when unknown.
    /// </summary>
    public Position? Position { get; }

    /// <summary>Points at the event read, for <see cref="IStreamStore.FetchEventAsync"/>; null unless <see cref="HasEvent"/>.</summary>
    public EventPointer? EventPointer { get; }

    /// <summary>A result carrying an event.</summary>
    internal static EventRead<T> Of(T evt, Position position, EventPointer pointer)
    {
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(pointer);
        return new EventRead<T>(evt, hasEvent: true, checkpointName: null, isEndOfStream: false, position, pointer);
    }

    /// <summary>A result telling that no event arrived within the timeout.</summary>
    internal static EventRead<T> Timeout(Position? position) =>
        new(default, hasEvent: false, checkpointName: null, isEndOfStream: false, position, eventPointer: null);

    /// <summary>A result telling that the reader passed the checkpoint <paramref name="name"/>.</summary>
    internal static EventRead<T> Checkpoint(string name, Position? position)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new EventRead<T>(default, hasEvent: false, name, isEndOfStream: false, position, eventPointer: null);
    }

    /// <summary>A result telling that the reader will get no more events.</summary>
    internal static EventRead<T> EndOfStream(Position? position) =>
        new(default, hasEvent: false, checkpointName: null, isEndOfStream: true, position, eventPointer: null);

    /// <summary>A readable summary of the result, without the event's payload.</summary>
    public override string ToString() =>
        HasEvent ? $"EventRead{{event at {EventPointer}}}"
        : IsCheckpoint ? $"EventRead{{checkpoint '{CheckpointName}'}}"
        : IsEndOfStream ? "EventRead{end of stream}"
        : "EventRead{timeout}";
}
