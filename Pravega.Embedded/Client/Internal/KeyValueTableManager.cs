using System.Runtime.CompilerServices;
using Pravega.Embedded.Controller;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Creates, deletes and lists key-value tables: each is an internal stream <c>_kvt-&lt;table&gt;</c> of its scope with one
/// segment per partition (<c>ScalingPolicy.Fixed(PartitionCount)</c>), never listed among the streams.
/// </summary>
internal sealed class KeyValueTableManager(StoreRuntime runtime) : IKeyValueTableManager
{
    public Task<bool> CreateKeyValueTableAsync(string scope, string table, KeyValueTableConfiguration config, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(table, nameof(table));
        ArgumentNullException.ThrowIfNull(config);
        if (config.PartitionCount < 1)
            throw new ArgumentOutOfRangeException(nameof(config), config.PartitionCount, "A key-value table has at least one partition.");
        return runtime.Run(() => runtime.Controller.CreateStreamAsync(scope, TableIndex.StreamName(table),
            new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(config.PartitionCount) }, ct));
    }

    public Task<bool> DeleteKeyValueTableAsync(string scope, string table, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(table, nameof(table));
        return runtime.Run(async () =>
        {
            string stream = TableIndex.StreamName(table);
            try
            {
                await runtime.Controller.SealStreamAsync(scope, stream, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ScopeNotFoundException or StreamNotFoundException)
            {
                return false;
            }
            List<string> prefixes;
            lock (runtime.Container.Lock) prefixes = [.. runtime.Controller.GetStream(scope, stream).AllSegments.Select(s => s.Data.TierPrefix)];
            bool deleted = await runtime.Controller.DeleteStreamAsync(scope, stream, ct).ConfigureAwait(false);
            await runtime.ForgetTableAsync(scope, table, prefixes).ConfigureAwait(false);
            return deleted;
        });
    }

    public async IAsyncEnumerable<string> ListKeyValueTablesAsync(string scope, [EnumeratorCancellation] CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        runtime.ThrowIfDisposed();
        foreach (string stream in await runtime.Controller.ListInternalStreamsAsync(scope, ct).ConfigureAwait(false))
            if (TableIndex.TableName(stream) is { } table) yield return table;
    }
}
