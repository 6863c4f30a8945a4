using System.Threading.Tasks.Sources;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// A pooled completion for one caller waiting for an LSN to become durable: a <see cref="ValueTask"/> without
/// allocation. Continuations never run on the flusher thread (unless the log is stepped, see <see cref="WalOptions.Stepped"/>).
/// </summary>
internal sealed class DurabilityWaiter : IValueTaskSource
{
    private readonly Action<DurabilityWaiter> _return;
    private ManualResetValueTaskSourceCore<bool> _core;

    public DurabilityWaiter(Action<DurabilityWaiter> returnToPool, bool runContinuationsAsynchronously)
    {
        _return = returnToPool;
        _core = new() { RunContinuationsAsynchronously = runContinuationsAsynchronously };
    }

    public ValueTask Task => new(this, _core.Version);

    public void Complete(Exception? error)
    {
        if (error is null) _core.SetResult(true);
        else _core.SetException(error);
    }

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
