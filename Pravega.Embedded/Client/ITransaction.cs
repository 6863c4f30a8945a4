namespace Pravega.Embedded;

/// <summary>
/// A transaction: events written to it become visible all at once on commit, or never. A committed transaction's
/// events are contiguous within each segment; a transaction begun before a scale still commits. Safe to use from many
/// threads at once.
/// </summary>
/// <typeparam name="T">Type of the events.</typeparam>
public interface ITransaction<T>
{
    /// <summary>The transaction's id, for <see cref="ITransactionalEventStreamWriter{T}.GetTransactionAsync"/>.</summary>
    Guid TransactionId { get; }

    /// <summary>Writes an event into the transaction (invisible to readers until the commit).</summary>
    /// <param name="routingKey">Decides the segment.</param>
    /// <param name="evt">The event.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when the event is durable in the transaction.</returns>
    /// <exception cref="ArgumentException">The serialized event exceeds 8 MiB; nothing was written.</exception>
    /// <exception cref="TransactionFailedException">The transaction is not open (aborted, timed out or committed).</exception>
    Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default);

    /// <summary>Waits until every event written to the transaction so far is durable; also renews its timeout.</summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when earlier writes are durable.</returns>
    /// <exception cref="TransactionFailedException">The transaction was aborted or timed out.</exception>
    Task FlushAsync(CancellationToken ct = default);

    /// <summary>
    /// Commits: all the transaction's events become visible atomically. Committing a committed transaction completes
    /// again (idempotent). A commit durably started before a crash is finished when the store reopens.
    /// </summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when the events are visible.</returns>
    /// <exception cref="TransactionFailedException">The transaction was aborted or timed out.</exception>
    Task CommitAsync(CancellationToken ct = default);

    /// <summary>Aborts: none of the transaction's events will become visible. Aborting an aborted transaction completes again.</summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when the abort is durable.</returns>
    /// <exception cref="TransactionFailedException">The transaction was committed (or is committing).</exception>
    Task AbortAsync(CancellationToken ct = default);

    /// <summary>Gets the transaction's current state.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The state.</returns>
    Task<TransactionStatus> CheckStatusAsync(CancellationToken ct = default);
}
