using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// The acknowledgement of one <see cref="WriteStage"/>'s writes: one task shared by its plain writes (an allocation per
/// stage, not per event) and the own tasks of its numbered writes (each answering Written or Duplicate), all completed
/// once the last record the stage appended is durable, or all failed with the stage.
/// </summary>
internal sealed class StageAck(TaskCreationOptions options) : TaskCompletionSource<WriteResult>(options)
{
    private List<(TaskCompletionSource<WriteResult> Own, WriteResult Result)>? _numbered;
    private ValueTaskAwaiter _durable;

    /// <summary>A numbered write's own task (answered Written unless <see cref="MarkDuplicate"/> says otherwise); returns its index.</summary>
    public int Track(TaskCompletionSource<WriteResult> own)
    {
        (_numbered ??= []).Add((own, WriteResult.Written));
        return _numbered.Count - 1;
    }

    /// <summary>The numbered write at <paramref name="index"/> (<see cref="Track"/>) turned out a duplicate.</summary>
    public void MarkDuplicate(int index) => CollectionsMarshal.AsSpan(_numbered)[index].Result = WriteResult.Duplicate;

    /// <summary>Completes everything once <paramref name="lsn"/> (0: nothing to wait for) is durable in <paramref name="log"/>.</summary>
    public void CompleteWhenDurable(WriteAheadLog log, long lsn)
    {
        if (lsn == 0)
        {
            Complete(null);
            return;
        }
#pragma warning disable CA2012 // awaited through its awaiter: its result is read once, in Finish, after it completed
        _durable = log.WhenDurable(lsn).GetAwaiter();
#pragma warning restore CA2012
        if (_durable.IsCompleted) Finish();
        else _durable.UnsafeOnCompleted(Finish);
    }

    private void Finish()
    {
        try
        {
            _durable.GetResult();
        }
#pragma warning disable CA1031 // the log's failure is every write's answer
        catch (Exception e)
#pragma warning restore CA1031
        {
            Complete(e);
            return;
        }
        Complete(null);
    }

    /// <summary>Answers every write of the stage: written (or duplicate), or <paramref name="error"/>.</summary>
    public void Complete(Exception? error)
    {
        if (error is null) TrySetResult(WriteResult.Written);
        else TrySetException(error);
        if (_numbered is null) return;
        foreach (var (own, result) in _numbered)
        {
            if (error is null) own.TrySetResult(result);
            else own.TrySetException(error);
        }
    }
}
