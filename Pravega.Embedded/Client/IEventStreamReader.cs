namespace Pravega.Embedded;

/// <summary>
/// A reader of its group's streams. A single reader is used by one consumer at a time; readers of different ids may
/// be used from different threads at once. Events of one writer with the same routing key are read in write order,
/// across scale events too. Disposing the reader takes it offline gracefully, at its position.
/// </summary>
/// <typeparam name="T">Type of the events.</typeparam>
public interface IEventStreamReader<T> : IAsyncDisposable
{
    /// <summary>The reader's id within its group.</summary>
    string ReaderId { get; }

    /// <summary>
    /// Reads the next event, or a checkpoint marker, waiting at most <paramref name="timeout"/> for one. Returns a
    /// timeout result (neither <see cref="EventRead{T}.HasEvent"/> nor <see cref="EventRead{T}.IsCheckpoint"/>) when
    /// nothing arrived in time, and an end-of-stream result once all the reader's segments are read to their ends.
    /// </summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="ct">Cancels the wait; the reader stays usable.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ReinitializationRequiredException">The reader was put offline or its group reset.</exception>
    /// <exception cref="TruncatedDataException">The reader's position was truncated away.</exception>
    ValueTask<EventRead<T>> ReadNextEventAsync(TimeSpan timeout, CancellationToken ct = default);

    /// <summary>
    /// Reads the reader's next events into <paramref name="batch"/>: as many as fit and are readable now, waiting at most
    /// <paramref name="timeout"/> for the first; or a checkpoint marker, or end of stream, or nothing when the timeout
    /// passed. The batch read for catch-up: one copy of each event's serialized bytes into the caller's reused buffer, no
    /// object per event. The events are those <see cref="ReadNextEventAsync"/> would give, with the same per-key order,
    /// positions and checkpoints; the two may be mixed on one reader.
    /// </summary>
    /// <param name="batch">The buffer to fill (emptied first).</param>
    /// <param name="timeout">The longest wait for a first event.</param>
    /// <param name="ct">Cancels the wait; the reader stays usable.</param>
    /// <returns><paramref name="batch"/>, filled.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The next event is larger than the batch's capacity (the reader stays before it).</exception>
    /// <exception cref="ReinitializationRequiredException">The reader was put offline or its group reset.</exception>
    /// <exception cref="TruncatedDataException">The reader's position was truncated away.</exception>
    ValueTask<EventBatch> ReadNextEventsAsync(EventBatch batch, TimeSpan timeout, CancellationToken ct = default);

    /// <summary>
    /// Enumerates events and checkpoints, waiting at the tail for more; the enumeration ends at the end of the
    /// reader's streams (sealed or reaching the end cuts) instead of yielding an end-of-stream result.
    /// </summary>
    /// <param name="ct">Ends the enumeration with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The events and checkpoints.</returns>
    IAsyncEnumerable<EventRead<T>> ReadEventsAsync(CancellationToken ct = default);

    /// <summary>
    /// Gets the bounds of the writers' noted times around the reader's position in a stream (watermarks, which
    /// advance at least once a second).
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <returns>The time window; bounds are null while unknown.</returns>
    TimeWindow GetCurrentTimeWindow(string scope, string stream);
}
