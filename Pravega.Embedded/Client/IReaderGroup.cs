namespace Pravega.Embedded;

/// <summary>
/// A reader group: readers sharing the segments of one or more streams. The group spreads the segments among its
/// online readers and rebalances as readers come and go; a successor segment is handed out only after all its
/// predecessors are fully read. Delivery is at-least-once; exactly-once for a consumer that restores from a
/// checkpoint. Safe to use from many threads at once.
/// </summary>
public interface IReaderGroup
{
    /// <summary>Scope of the group.</summary>
    string Scope { get; }

    /// <summary>Name of the group.</summary>
    string GroupName { get; }

    /// <summary>
    /// Starts a checkpoint: each online reader gets a checkpoint result (<see cref="EventRead{T}.IsCheckpoint"/>)
    /// at a consistent position.
    /// </summary>
    /// <param name="checkpointName">Name of the checkpoint, unique within the group.</param>
    /// <param name="ct">Cancels the wait (the checkpoint itself may still complete).</param>
    /// <returns>The checkpoint, once every online reader has passed it.</returns>
    /// <exception cref="ReaderGroupNotFoundException">The group no longer exists.</exception>
    Task<Checkpoint> InitiateCheckpointAsync(string checkpointName, CancellationToken ct = default);

    /// <summary>
    /// Replaces the group's configuration and restarts reading from its start cuts (for example
    /// <see cref="ReaderGroupConfig.FromCheckpoint"/>). Online readers get <see cref="ReinitializationRequiredException"/>
    /// and must be re-created.
    /// </summary>
    /// <param name="config">The new configuration.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the new configuration is durable.</returns>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    /// <exception cref="StreamNotFoundException">A configured stream does not exist.</exception>
    Task ResetAsync(ReaderGroupConfig config, CancellationToken ct = default);

    /// <summary>
    /// Puts a reader offline (for example after it crashed): its segments go back to the group at
    /// <paramref name="lastPosition"/>, or at the last checkpoint when null, and the reader, if still alive, gets
    /// <see cref="ReinitializationRequiredException"/>. Doing so for a reader that is not online does nothing.
    /// </summary>
    /// <param name="readerId">The reader's id.</param>
    /// <param name="lastPosition">Where the reader stood (<see cref="EventRead{T}.Position"/>), or null for the last checkpoint.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the reader's segments are available to the others.</returns>
    Task ReaderOfflineAsync(string readerId, Position? lastPosition, CancellationToken ct = default);

    /// <summary>Gets the ids of the readers online in the group.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The reader ids.</returns>
    Task<IReadOnlyCollection<string>> GetOnlineReadersAsync(CancellationToken ct = default);

    /// <summary>Gets the number of bytes between the group's positions and the tails (or end cuts) of its streams.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The number of unread bytes.</returns>
    Task<long> GetUnreadBytesAsync(CancellationToken ct = default);

    /// <summary>Gets the group's current position in one of its streams, as a stream cut.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The cut made of the readers' current positions.</returns>
    /// <exception cref="ArgumentException">The stream is not read by the group.</exception>
    Task<StreamCut> GetStreamCutAsync(string scope, string stream, CancellationToken ct = default);
}
