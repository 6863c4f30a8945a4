namespace Pravega.Embedded;

/// <summary>
/// Begins and resumes transactions on a stream. Safe to use from many threads at once. Disposing releases the writer;
/// its open transactions stay open until committed, aborted or timed out.
/// </summary>
/// <typeparam name="T">Type of the events.</typeparam>
public interface ITransactionalEventStreamWriter<T> : IAsyncDisposable
{
    /// <summary>
    /// Begins a transaction. It is aborted by the store if it goes longer than the writer's
    /// <see cref="EventWriterOptions.TransactionTimeout"/> without a write, flush or commit.
    /// </summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The open transaction.</returns>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    Task<ITransaction<T>> BeginTransactionAsync(CancellationToken ct = default);

    /// <summary>Gets a transaction begun earlier, possibly by another writer or before a restart.</summary>
    /// <param name="transactionId">Its id.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The transaction, in whatever state it is.</returns>
    /// <exception cref="TransactionFailedException">The id is unknown, or its transaction finished and was forgotten.</exception>
    Task<ITransaction<T>> GetTransactionAsync(Guid transactionId, CancellationToken ct = default);
}
