using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Call order for the appends of one writer or transaction handle: an append goes to the log at once when the log has room
/// and nothing earlier of its owner waits (<see cref="CanAppendNow"/>, the owner appends inline); otherwise it is queued
/// behind the earlier ones and, once the log has room, made in its place under the owner's write lock, whatever the caller's
/// token does (a write once called is not taken back; dropping it would let later ones in after a gap).
/// </summary>
internal sealed class AppendQueue(WriteAheadLog log, object writeLock)
{
    private Task? _appended; // completes when every append queued so far is made (null: none waits)

    /// <summary>Whether an append may go to the log now (owner's write lock held): nothing of its owner waits and the log has room.</summary>
    public bool CanAppendNow
    {
        get
        {
            if (_appended is not null) return false;
            var room = log.WaitForCapacityAsync(CancellationToken.None); // without a token, as below
            return room.IsCompletedSuccessfully;
        }
    }

    /// <summary>Completes when every append queued so far is made (or failed).</summary>
    public Task Appended
    {
        get
        {
            lock (writeLock) return _appended ?? Task.CompletedTask;
        }
    }

    /// <summary>
    /// Queues an append (owner's write lock held): after the earlier ones, when the log has room, <paramref name="append"/>
    /// runs under the write lock; its result or exception is the returned task's.
    /// </summary>
    public Task<T> Enqueue<T>(Func<T> append)
    {
        var appended = new TaskCompletionSource(log.CompletionOptions);
        var previous = _appended;
        _appended = appended.Task;
        return RunAsync(previous, appended, append);
    }

    private async Task<T> RunAsync<T>(Task? previous, TaskCompletionSource appended, Func<T> append)
    {
        try
        {
            if (previous is not null) await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ValueTask room;
            // Without a token: a wait for room that is not taken must not stay registered on a caller's token.
            while (!(room = log.WaitForCapacityAsync(CancellationToken.None)).IsCompletedSuccessfully)
                await room.ConfigureAwait(false);
            lock (writeLock) return append();
        }
        finally
        {
            lock (writeLock)
            {
                if (ReferenceEquals(_appended, appended.Task)) _appended = null;
            }
            appended.TrySetResult();
        }
    }
}
