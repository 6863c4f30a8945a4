using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Transaction leases on the store's <see cref="TimeProvider"/>: an open transaction with no write, flush or commit for
/// longer than its timeout is aborted (one abort record, <see cref="AbortReason.TimedOut"/>). Activity only stamps the
/// transaction (<see cref="Renew"/>, no timer call per write); each transaction's one timer, when it fires, aborts it or
/// waits again for the rest of the timeout from its last activity. Open transactions found at open get a full timeout
/// from then (API.md: "its timeout restarts on reopen").
/// </summary>
internal sealed class TransactionLeases : IAsyncDisposable
{
    private readonly SegmentContainer _container;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly HashSet<ITimer> _timers = [];
    private bool _stopped;

    public TransactionLeases(SegmentContainer container, TimeProvider time, ILogger logger)
    {
        _container = container;
        _time = time;
        _logger = logger;
    }

    /// <summary>Starts the lease of an open transaction (begun now, or found open at open).</summary>
    public void Track(TransactionState transaction)
    {
        Renew(transaction);
        lock (_sync)
        {
            if (_stopped) return;
            var timer = _time.CreateTimer(static s => ((Lease)s!).Owner.OnExpiry(((Lease)s).Transaction), new Lease(this, transaction), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timers.Add(timer);
            transaction.Lease = timer;
            timer.Change(transaction.Timeout, Timeout.InfiniteTimeSpan); // armed once registered: a fake clock fires it at once
        }
    }

    /// <summary>Restarts the timeout from now (a write, flush or commit; any thread).</summary>
    public void Renew(TransactionState transaction) => transaction.LastActivity = _time.GetTimestamp();

    /// <summary>Stops the lease of a finished transaction.</summary>
    public void Release(TransactionState transaction)
    {
        ITimer? timer;
        lock (_sync)
        {
            timer = transaction.Lease;
            transaction.Lease = null;
            if (timer is not null) _timers.Remove(timer);
        }
        timer?.Dispose();
    }

    private void OnExpiry(TransactionState transaction)
    {
        lock (_container.Lock)
        {
            if (transaction.Phase == TransactionPhase.Open)
            {
                var idle = _time.GetElapsedTime(transaction.LastActivity);
                if (idle < transaction.Timeout)
                {
                    lock (_sync)
                        if (!_stopped) transaction.Lease?.Change(transaction.Timeout - idle, Timeout.InfiniteTimeSpan);
                    return;
                }
                try
                {
                    _container.AbortTransaction(transaction, AbortReason.TimedOut);
                    SegmentStoreLog.TransactionTimedOut(_logger, transaction.Id, transaction.Timeout);
                }
#pragma warning disable CA1031 // a failed log fails every writer already; the transaction stays open until the next open
                catch (Exception e)
#pragma warning restore CA1031
                {
                    SegmentStoreLog.TransactionTimeoutFailed(_logger, transaction.Id, e);
                }
            }
        }
        Release(transaction);
    }

    /// <summary>Stops every timer: no abort is written after this.</summary>
    public async ValueTask DisposeAsync()
    {
        List<ITimer> timers;
        lock (_sync)
        {
            _stopped = true;
            timers = [.. _timers];
            _timers.Clear();
        }
        foreach (var t in timers) await t.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Lease(TransactionLeases Owner, TransactionState Transaction);
}
