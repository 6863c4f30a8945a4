namespace Pravega.Embedded.Client.Internal;

/// <summary>A handle on a reader group; its live state is the group's coordinator.</summary>
internal sealed class ReaderGroup(StoreRuntime runtime, string scope, string groupName) : IReaderGroup
{
    public string Scope { get; } = scope;

    public string GroupName { get; } = groupName;

    public Task<Checkpoint> InitiateCheckpointAsync(string checkpointName, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointName);
        if (checkpointName.StartsWith('_'))
            throw new ArgumentException("Checkpoint names starting with '_' are reserved for automatic checkpoints.", nameof(checkpointName));
        return runtime.Run(() => runtime.Coordinator(Scope, GroupName).CheckpointAsync(checkpointName, silent: false, ct));
    }

    public Task ResetAsync(ReaderGroupConfig config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(config));
        return runtime.Run(() => runtime.ResetGroupAsync(Scope, GroupName, config, ct));
    }

    public Task ReaderOfflineAsync(string readerId, Position? lastPosition, CancellationToken ct = default)
    {
        NameValidator.ValidateId(readerId, nameof(readerId));
        return runtime.Run(() => runtime.Coordinator(Scope, GroupName).ReaderOfflineAsync(readerId, lastPosition));
    }

    public Task<IReadOnlyCollection<string>> GetOnlineReadersAsync(CancellationToken ct = default) =>
        runtime.RunSync(() => runtime.Coordinator(Scope, GroupName).OnlineReaders());

    public Task<long> GetUnreadBytesAsync(CancellationToken ct = default) =>
        runtime.RunSync(() => runtime.Coordinator(Scope, GroupName).UnreadBytes());

    public Task<StreamCut> GetStreamCutAsync(string scope, string stream, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        return runtime.RunSync(() =>
        {
            var coordinator = runtime.Coordinator(Scope, GroupName);
            var state = coordinator.Streams.FirstOrDefault(s => s.Scope == scope && s.Name == stream)
                ?? throw new ArgumentException($"Reader group '{GroupName}' does not read stream {scope}/{stream}.", nameof(stream));
            return coordinator.StreamCutOf(state);
        });
    }
}
