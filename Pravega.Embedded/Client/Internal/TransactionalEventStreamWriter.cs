using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Begins transactions on a stream and finds them again by id. A transaction is begun by one record, and handed out
/// once it is durable, so its id survives a crash from then on.
/// </summary>
internal sealed class TransactionalEventStreamWriter<T> : ITransactionalEventStreamWriter<T>
{
    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _stream;
    private readonly ISerializer<T> _serializer;
    private readonly string? _writerId;
    private readonly TimeSpan _timeout;
    private volatile bool _disposed;

    public TransactionalEventStreamWriter(StoreRuntime runtime, string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options)
    {
        _runtime = runtime;
        _scope = scope;
        _stream = stream;
        _serializer = serializer;
        _writerId = options?.WriterId;
        _timeout = (options ?? new EventWriterOptions()).TransactionTimeout;
    }

    private SegmentContainer Container => _runtime.Container;

    public Task<ITransaction<T>> BeginTransactionAsync(CancellationToken ct = default)
    {
        Controller.StreamState stream;
        TransactionState state;
        try
        {
            ThrowIfDisposed();
            ct.ThrowIfCancellationRequested();
            lock (Container.Lock)
            {
                stream = _runtime.Controller.RequireStream(_scope, _stream);
                if (stream.IsSealed) throw new StreamSealedException($"Stream {stream} is sealed; no transaction can begin on it.");
                state = Container.BeginTransaction(stream.Id, _runtime.NewIds(), _writerId, _timeout);
            }
        }
        catch (Exception e)
        {
            return _runtime.Fail<ITransaction<T>>(e); // "no such stream", "sealed": reported once that is durable
        }
        _runtime.Leases.Track(state);
        return BeganAsync(stream, state, ct);
    }

    private async Task<ITransaction<T>> BeganAsync(Controller.StreamState stream, TransactionState state, CancellationToken ct)
    {
        await Container.Log.WhenDurableAsync(state.BeginLsn, ct).ConfigureAwait(false);
        return new Transaction<T>(_runtime, stream, state, _serializer);
    }

    public Task<ITransaction<T>> GetTransactionAsync(Guid transactionId, CancellationToken ct = default)
    {
        Controller.StreamState stream;
        TransactionState? state;
        try
        {
            ThrowIfDisposed();
            ct.ThrowIfCancellationRequested();
            lock (Container.Lock)
            {
                stream = _runtime.Controller.RequireStream(_scope, _stream);
                if (!Container.TryGetTransaction(transactionId, out state) || state.StreamId != stream.Id)
                    throw new TransactionFailedException(
                        $"Stream {stream} has no transaction {transactionId}: it never began here, or it finished and was forgotten (the store remembers the last {SegmentContainer.RememberedTransactions} finished ones).");
            }
        }
        catch (Exception e)
        {
            return _runtime.Fail<ITransaction<T>>(e);
        }
        return BeganAsync(stream, state, ct);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
    }

    /// <summary>Releases the writer; its transactions stay as they are (open ones until committed, aborted or timed out).</summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }
}
