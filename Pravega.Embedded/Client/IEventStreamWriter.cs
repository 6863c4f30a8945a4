namespace Pravega.Embedded;

/// <summary>
/// A writer of events to a stream. Safe to use from many threads at once; concurrent writes are ordered as they were
/// called. Durability is prefix-closed: once an event is durable, every event this writer wrote before it is durable
/// too, in every segment. Disposing flushes and releases the writer.
/// </summary>
/// <typeparam name="T">Type of the events.</typeparam>
public interface IEventStreamWriter<T> : IAsyncDisposable
{
    /// <summary>The writer's id (<see cref="EventWriterOptions.WriterId"/>, or a random one).</summary>
    string WriterId { get; }

    /// <summary>
    /// The highest durable event number of this writer id on this stream, or -1 if none; restored when the writer
    /// opens, valid once its first asynchronous call (or <see cref="FlushAsync"/>) completes. After a crash, resending
    /// every event above it gives exactly-once.
    /// </summary>
    long LastEventNumber { get; }

    /// <summary>
    /// Writes an event to the segment owning <paramref name="routingKey"/>'s point of the key space.
    /// </summary>
    /// <param name="routingKey">Decides the segment; events with the same key are read in write order.</param>
    /// <param name="evt">The event.</param>
    /// <param name="ct">Cancels the wait; the event may still be written.</param>
    /// <returns>A task that completes when the event is durable.</returns>
    /// <exception cref="ArgumentException">The serialized event exceeds 8 MiB; nothing was written.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default);

    /// <summary>
    /// Writes an event with an explicit event number, at most once per writer id: numbers must increase (gaps are
    /// allowed), and a number at or below <see cref="LastEventNumber"/> is not written again.
    /// </summary>
    /// <param name="routingKey">Decides the segment.</param>
    /// <param name="evt">The event.</param>
    /// <param name="eventNumber">The event's number for this writer id.</param>
    /// <param name="ct">Cancels the wait; the event may still be written.</param>
    /// <returns><see cref="WriteResult.Written"/> once durable, or <see cref="WriteResult.Duplicate"/>.</returns>
    /// <exception cref="ArgumentException">The serialized event exceeds 8 MiB; nothing was written.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    Task<WriteResult> WriteEventAsync(string routingKey, T evt, long eventNumber, CancellationToken ct = default);

    /// <summary>Waits until every event written so far is durable.</summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when all earlier writes are durable.</returns>
    Task FlushAsync(CancellationToken ct = default);

    /// <summary>
    /// Notes that every event written so far has a time at or before <paramref name="timestamp"/>; the store derives
    /// the watermarks of readers' time windows from these notes.
    /// </summary>
    /// <param name="timestamp">A time in the application's unit; should not go backwards.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the note is recorded.</returns>
    Task NoteTimeAsync(long timestamp, CancellationToken ct = default);
}
