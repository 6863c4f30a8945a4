namespace Pravega.Embedded.Client.Internal;

/// <summary>The public reader-group manager.</summary>
internal sealed class ReaderGroupManager(StoreRuntime runtime) : IReaderGroupManager
{
    public Task<bool> CreateReaderGroupAsync(string scope, string groupName, ReaderGroupConfig config, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(groupName, nameof(groupName));
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(config));
        runtime.ThrowIfDisposed();
        return runtime.Controller.CreateReaderGroupAsync(scope, groupName, config, ct);
    }

    public Task<IReaderGroup> GetReaderGroupAsync(string scope, string groupName, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(groupName, nameof(groupName));
        return runtime.RunSync<IReaderGroup>(() =>
        {
            runtime.Controller.GetReaderGroup(scope, groupName);
            return new ReaderGroup(runtime, scope, groupName);
        });
    }

    public async Task<bool> DeleteReaderGroupAsync(string scope, string groupName, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(groupName, nameof(groupName));
        runtime.ThrowIfDisposed();
        bool deleted = await runtime.Controller.DeleteReaderGroupAsync(scope, groupName, ct).ConfigureAwait(false);
        if (deleted) runtime.ForgetGroup(scope, groupName);
        return deleted;
    }
}
