namespace Pravega.Embedded.Client.Internal;

/// <summary>A handle on a reader group; its live state is the group's coordinator.</summary>
internal sealed class ReaderGroup(StoreRuntime runtime, string scope, string groupName) : IReaderGroup
{
    private const string FullReaderGroups = "(issue: reader groups in full: checkpoints, stream cuts, batch reads, truncation and retention)";

    public string Scope { get; } = scope;

    public string GroupName { get; } = groupName;

    public Task<Checkpoint> InitiateCheckpointAsync(string checkpointName, CancellationToken ct = default) =>
        Task.FromException<Checkpoint>(new NotSupportedException("Checkpoints are not implemented yet " + FullReaderGroups + "."));

    public Task ResetAsync(ReaderGroupConfig config, CancellationToken ct = default) =>
        Task.FromException(new NotSupportedException("Resetting a reader group is not implemented yet " + FullReaderGroups + "."));

    public Task ReaderOfflineAsync(string readerId, Position? lastPosition, CancellationToken ct = default)
    {
        NameValidator.ValidateId(readerId, nameof(readerId));
        try
        {
            runtime.ThrowIfDisposed();
            runtime.Coordinator(Scope, GroupName).ReaderOffline(readerId, lastPosition);
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    public Task<IReadOnlyCollection<string>> GetOnlineReadersAsync(CancellationToken ct = default)
    {
        try
        {
            runtime.ThrowIfDisposed();
            return Task.FromResult(runtime.Coordinator(Scope, GroupName).OnlineReaders());
        }
        catch (Exception e)
        {
            return Task.FromException<IReadOnlyCollection<string>>(e);
        }
    }

    public Task<long> GetUnreadBytesAsync(CancellationToken ct = default) =>
        Task.FromException<long>(new NotSupportedException("Unread bytes are not implemented yet " + FullReaderGroups + "."));

    public Task<StreamCut> GetStreamCutAsync(string scope, string stream, CancellationToken ct = default) =>
        Task.FromException<StreamCut>(new NotSupportedException("Reader-group stream cuts are not implemented yet " + FullReaderGroups + "."));
}
