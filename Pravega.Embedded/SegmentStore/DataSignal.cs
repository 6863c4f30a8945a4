namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Wakes tail readers when new data becomes readable: a reader takes <see cref="NextAsync"/>, checks for data,
/// and awaits the task if there was none. No polling, and no allocation while nobody waits.
/// </summary>
internal sealed class DataSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waited;

    /// <summary>Completes at the next <see cref="Signal"/>. Take it before checking for data, not after.</summary>
    public Task NextAsync
    {
        get
        {
            Interlocked.Exchange(ref _waited, 1);
            return Volatile.Read(ref _next).Task;
        }
    }

    /// <summary>Call after publishing new data.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _waited, 0) == 0) return;
        var old = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        old.TrySetResult();
    }
}
