using System.Buffers;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A transaction as its caller sees it (docs/DESIGN.md, "Transactions"). Writes are serialized and appended to the log
/// as the transaction's own records in call order; commit and abort are one record each; every answer waits for the
/// records it reports to be durable. The state lives in the container (<see cref="TransactionState"/>), so several
/// handles of one transaction agree.
/// </summary>
internal sealed class Transaction<T> : ITransaction<T>
{
    private readonly StoreRuntime _runtime;
    private readonly StreamState _stream;
    private readonly TransactionState _state;
    private readonly ISerializer<T> _serializer;
    private readonly object _writeLock = new();
    private readonly AppendQueue _queue;
    private ArrayBufferWriter<byte> _buffer = new(256);

    public Transaction(StoreRuntime runtime, StreamState stream, TransactionState state, ISerializer<T> serializer)
    {
        _runtime = runtime;
        _stream = stream;
        _state = state;
        _serializer = serializer;
        _queue = new AppendQueue(runtime.Container.Log, _writeLock);
    }

    public Guid TransactionId => _state.Id;

    private SegmentContainer Container => _runtime.Container;

    /// <summary>
    /// Serializes the event at the call and appends it at once when the log has room and no earlier write of this handle
    /// waits for room; otherwise behind the earlier ones (call order holds, as for a writer: <see cref="AppendQueue"/>).
    /// </summary>
    public Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(routingKey);
        try
        {
            ct.ThrowIfCancellationRequested();
            lock (_writeLock)
            {
                _runtime.ThrowIfDisposed();
                _buffer.ResetWrittenCount();
                _serializer.Serialize(evt, _buffer);
                var bytes = _buffer.WrittenSpan;
                if (bytes.Length > EventStreamWriter<T>.MaxEventSize || bytes.Length > Container.MaxTransactionEventSize)
                    throw new ArgumentException($"The serialized event is {bytes.Length} bytes; the limit is {EventStreamWriter<T>.MaxEventSize} bytes.", nameof(evt));
                double point = KeySpace.Point(routingKey);
                if (_queue.CanAppendNow)
                {
                    long lsn = Append(point, bytes);
                    // Writes in one group commit share one task, as a writer's acknowledgements do (no allocation per write).
                    return ct.CanBeCanceled ? Container.Log.WhenDurableAsync(lsn, ct) : Container.Log.WhenDurableShared(lsn, out _);
                }
                var copy = bytes.ToArray();
                var queued = DurableAsync(_queue.Enqueue(() =>
                {
                    _runtime.ThrowIfDisposed();
                    return Append(point, copy);
                }));
                return ct.CanBeCanceled ? queued.WaitAsync(ct) : queued;
            }
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>A queued write, complete once appended and durable.</summary>
    private async Task DurableAsync(Task<long> appended) =>
        await Container.Log.WhenDurableAsync(await appended.ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);

    /// <summary>Appends serialized bytes to the transaction (write lock held) and renews its lease.</summary>
    private long Append(double point, ReadOnlySpan<byte> bytes)
    {
        long lsn;
        lock (Container.Lock) lsn = Container.AppendToTransaction(_state, point, bytes);
        _runtime.Leases.Renew(_state);
        if (_buffer.Capacity > 1 << 20) _buffer = new ArrayBufferWriter<byte>(256); // let a huge event's buffer go
        return lsn;
    }

    public async Task FlushAsync(CancellationToken ct = default)
    {
        _runtime.ThrowIfDisposed();
        await _queue.Appended.WaitAsync(ct).ConfigureAwait(false);
        long lsn;
        lock (Container.Lock)
        {
            if (_state.Phase == TransactionPhase.Aborted)
                throw new TransactionFailedException($"Transaction {_state.Id} was aborted; its events will never be visible.");
            if (_state.Phase == TransactionPhase.Open) _runtime.Leases.Renew(_state);
            lsn = Math.Max(_state.LastLsn, _state.FinishLsn);
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits once every earlier write of this handle is appended: routes its events over the segments active now (a
    /// scale since the begin sends them to the successors), one record, visible when durable. Again on a committed
    /// transaction: completes when that commit is durable. Events the tierer staged in Tier-2 while it was open are written
    /// to the WAL again first (<see cref="SegmentTierer.UnstageAsync"/>).
    /// </summary>
    public async Task CommitAsync(CancellationToken ct = default)
    {
        _runtime.ThrowIfDisposed();
        await _queue.Appended.WaitAsync(ct).ConfigureAwait(false);
        long lsn = 0;
        for (bool done = false; !done;)
        {
            if (Container.Tierer is { } tierer) await tierer.UnstageAsync(_state, _runtime.Leases.Renew, ct).ConfigureAwait(false);
            lock (Container.Lock)
            {
                _runtime.ThrowIfDisposed();
                if (_state.Phase == TransactionPhase.Open && Container.Tierer is not null && _state.Relogged.Count != _state.StagedCount) continue; // staged meanwhile
                lsn = _state.Phase == TransactionPhase.Committed ? _state.FinishLsn : Commit();
                done = true;
            }
        }
        _runtime.Leases.Release(_state);
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    /// <summary>The commit record (container lock), routed over the segments active now.</summary>
    private long Commit()
    {
        _runtime.Leases.Renew(_state);
        var stream = _stream;
        return Container.CommitTransaction(_state, point =>
        {
            var segment = stream.Route(point);
            return new TransactionTarget(segment.Data, segment.Range);
        });
    }

    public async Task AbortAsync(CancellationToken ct = default)
    {
        _runtime.ThrowIfDisposed();
        long lsn;
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            lsn = _state.Phase switch
            {
                TransactionPhase.Aborted => _state.FinishLsn,
                TransactionPhase.Committed => throw new TransactionFailedException($"Transaction {_state.Id} was committed; it cannot be aborted."),
                _ => Container.AbortTransaction(_state, AbortReason.Requested),
            };
        }
        _runtime.Leases.Release(_state);
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    public Task<TransactionStatus> CheckStatusAsync(CancellationToken ct = default)
    {
        try
        {
            _runtime.ThrowIfDisposed();
            ct.ThrowIfCancellationRequested();
            lock (Container.Lock) return Task.FromResult(_state.StatusAt(Container.Log.DurableLsn));
        }
        catch (Exception e)
        {
            return Task.FromException<TransactionStatus>(e);
        }
    }

    public override string ToString() => $"transaction {_state.Id} on {_stream}";
}
