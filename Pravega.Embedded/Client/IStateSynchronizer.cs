namespace Pravega.Embedded;

/// <summary>
/// A state replicated through a stream of updates (shared configuration, coordination, leader election), as
/// Pravega's state synchronizer: every participant applies the same updates in the same order, and conditional
/// updates succeed only on the latest revision. The local copy changes only on <see cref="FetchUpdatesAsync"/> and on
/// successful <see cref="UpdateStateAsync"/> or <see cref="InitializeAsync"/>. Disposing releases the synchronizer.
/// </summary>
/// <typeparam name="TState">Type of the state.</typeparam>
/// <typeparam name="TUpdate">Type of the updates.</typeparam>
public interface IStateSynchronizer<TState, TUpdate> : IAsyncDisposable
{
    /// <summary>The local copy of the state; <c>default</c> before initialization.</summary>
    TState? State { get; }

    /// <summary>The revision of the local copy, increasing with each update applied; -1 before initialization.</summary>
    long Revision { get; }

    /// <summary>Sets the initial state, unless the synchronizer is already initialized; then fetches it.</summary>
    /// <param name="initial">The initial state.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if this call initialized it; false if it was already initialized.</returns>
    Task<bool> InitializeAsync(TState initial, CancellationToken ct = default);

    /// <summary>Brings the local copy up to date with every update written so far.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the local copy includes all updates durable when it was called.</returns>
    Task FetchUpdatesAsync(CancellationToken ct = default);

    /// <summary>
    /// Applies updates conditionally: <paramref name="generator"/> is called with the latest state and its updates are
    /// written only if no other update came in between; otherwise the state is fetched and the generator called again.
    /// </summary>
    /// <param name="generator">Produces the updates from the current state (none to do nothing); may run several times.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the updates are durable and applied to the local copy.</returns>
    /// <exception cref="InvalidOperationException">The synchronizer is not initialized.</exception>
    Task UpdateStateAsync(Func<TState, IReadOnlyList<TUpdate>> generator, CancellationToken ct = default);

    /// <summary>
    /// Writes an update unconditionally. The local <see cref="State"/> sees it at the next fetch, as in Pravega.
    /// </summary>
    /// <param name="update">The update.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the update is durable.</returns>
    Task UpdateStateUnconditionallyAsync(TUpdate update, CancellationToken ct = default);

    /// <summary>Writes a snapshot of the latest state and truncates the updates before it.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the snapshot is durable and older updates are truncated.</returns>
    Task CompactAsync(CancellationToken ct = default);
}
