using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Controller;

/// <summary>
/// Applies retention policies every <see cref="StreamStoreOptions.RetentionCheckInterval"/>, on the store's
/// <see cref="TimeProvider"/> (so tests drive it with a fake clock). A pass that fails is logged and the next one runs
/// at the next tick; a tick that comes while a pass is still running is skipped. Disposing stops the timer and waits
/// for the pass in progress, so no pass outlives the store.
/// </summary>
internal sealed class RetentionService : IAsyncDisposable
{
    private readonly StreamController _controller;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _sync = new();
    private ITimer? _timer;
    private Task _pass = Task.CompletedTask;
    private bool _stopped;

    public RetentionService(StreamController controller, TimeProvider time, TimeSpan interval, ILogger logger)
    {
        _controller = controller;
        _time = time;
        _interval = interval;
        _logger = logger;
    }

    /// <summary>Starts the timer (nothing if the interval is infinite).</summary>
    public void Start()
    {
        if (_interval == Timeout.InfiniteTimeSpan) return;
        lock (_sync)
        {
            if (_stopped || _timer is not null) return;
            _timer = _time.CreateTimer(static state => ((RetentionService)state!).OnTick(), this, _interval, _interval);
        }
        ControllerLog.RetentionStarted(_logger, _interval);
    }

    /// <summary>The pass in progress, or a completed task: for tests, to wait until a tick's truncations are durable.</summary>
    public Task WhenIdleAsync()
    {
        lock (_sync) return _pass;
    }

    private void OnTick()
    {
        lock (_sync)
        {
            if (_stopped || !_pass.IsCompleted) return;
            _pass = RunPassAsync();
        }
    }

    /// <summary>One pass; never throws (failures are logged).</summary>
    private async Task RunPassAsync()
    {
        try
        {
            await _controller.PrepareRetentionAsync(_stop.Token).ConfigureAwait(false);
            long lsn = _controller.ApplyRetention(_time.GetUtcNow(), out int truncated);
            if (lsn != 0) await _controller.WhenDurable(lsn, _stop.Token).ConfigureAwait(false);
            if (truncated > 0) ControllerLog.RetentionTruncated(_logger, truncated);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The store is closing: its disposal flushes what the pass wrote.
        }
        catch (Exception e)
        {
            ControllerLog.RetentionFailed(_logger, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task pass;
        lock (_sync)
        {
            if (_stopped) return;
            _stopped = true;
            pass = _pass;
        }
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await pass.ConfigureAwait(false);
        _stop.Dispose();
    }
}
