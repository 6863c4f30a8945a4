using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.Client.Internal;

/// <summary>What the client objects of one open store share: the container, the controller, reader-group coordinators.</summary>
internal sealed class StoreRuntime
{
    private readonly ConcurrentDictionary<(string Scope, string Group), ReaderGroupCoordinator> _groups = new();
    private readonly ConcurrentDictionary<(string Scope, string Table), Lazy<Task<TableIndex>>> _tables = new();
    private volatile bool _disposed;

    private Task _sweep = Task.CompletedTask;

    public StoreRuntime(SegmentContainer container, StreamController controller, TransactionLeases leases, WatermarkService watermarks, TimeProvider time,
                        Func<Guid> newIds, IChunkStorage tableFiles, TableIndexOptions tableOptions, ILogger tableLogger)
    {
        TableOptions = tableOptions;
        TableFiles = tableFiles;
        TableLogger = tableLogger;
        Leases = leases;
        Watermarks = watermarks;
        NewIds = newIds;
        Container = container;
        Controller = controller;
        Time = time;
        Reader = new SegmentReader(container, typeof(StreamStore).FullName!);
    }

    public SegmentContainer Container { get; }

    /// <summary>Where key-value table index files live (<see cref="TableRun"/>): Tier-2's root, or a directory of the first mirror.</summary>
    public IChunkStorage TableFiles { get; }

    public ILogger TableLogger { get; }

    /// <summary>When table indexes merge and compact.</summary>
    public TableIndexOptions TableOptions { get; }

    /// <summary>The timeouts of open transactions.</summary>
    public TransactionLeases Leases { get; }

    /// <summary>Writers' noted times, combined into marks once a second.</summary>
    public WatermarkService Watermarks { get; }

    /// <summary>Reads the event at an offset of a segment, for readers, the batch client and FetchEventAsync.</summary>
    public SegmentReader Reader { get; }
    public StreamController Controller { get; }
    public TimeProvider Time { get; }

    /// <summary>Where new ids come from (<see cref="StreamStoreOptions.NewIds"/>).</summary>
    public Func<Guid> NewIds { get; }

    public bool IsDisposed => _disposed;

    /// <summary>Signalled when the store starts disposing, so that waiting readers wake and stop.</summary>
    public DataSignal Closing { get; } = new();

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(StreamStore));

    /// <summary>
    /// Runs an API operation after the disposal check, with every failure in the returned task (argument checks are
    /// made before, at the call). What it found (a result, or an exception such as "no such group") is reported only
    /// once the metadata it may depend on is durable (<see cref="StreamController.WhenObservedDurableAsync"/>).
    /// </summary>
    public Task<T> RunSync<T>(Func<T> operation)
    {
        try
        {
            ThrowIfDisposed();
            var result = operation();
            var durable = Controller.WhenObservedDurableAsync(CancellationToken.None);
            return durable.IsCompletedSuccessfully ? Task.FromResult(result) : StreamController.AfterDurableAsync(durable, result, null);
        }
        catch (Exception e)
        {
            return Fail<T>(e);
        }
    }

    /// <summary>
    /// Runs an asynchronous API operation after the disposal check; an exception it throws before returning its task is
    /// reported as <see cref="RunSync{T}(Func{T})"/> does. The task's own outcome is the operation's to make durable.
    /// </summary>
    public Task<T> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            ThrowIfDisposed();
            return operation();
        }
        catch (Exception e)
        {
            return Fail<T>(e);
        }
    }

    /// <inheritdoc cref="Run{T}(Func{Task{T}})"/>
    public Task Run(Func<Task> operation)
    {
        try
        {
            ThrowIfDisposed();
            return operation();
        }
        catch (Exception e)
        {
            return Fail<bool>(e);
        }
    }

    /// <summary>
    /// A failure found in controller state (a missing scope, stream or group, a sealed stream), reported once the
    /// metadata it may depend on is durable; disposal at once.
    /// </summary>
    public Task<T> Fail<T>(Exception error)
    {
        if (error is ObjectDisposedException) return Task.FromException<T>(error);
        var durable = Controller.WhenObservedDurableAsync(CancellationToken.None);
        return durable.IsCompletedSuccessfully ? Task.FromException<T>(error) : StreamController.AfterDurableAsync<T>(durable, default!, error);
    }

    /// <summary>
    /// Stops new work, then waits for reads in progress: event bytes are read straight from mapped WAL files, which
    /// must stay mapped until no read uses them.
    /// </summary>
    public async Task MarkDisposedAsync()
    {
        _disposed = true;
        Closing.Signal();
        foreach (var table in _tables.Values)
        {
            // Merges and compactions stop before reads do; their files are the next open's.
            if (table.IsValueCreated && table.Value.IsCompletedSuccessfully) await (await table.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        _tables.Clear();
        await Reader.CloseAsync().ConfigureAwait(false);
        try
        {
            await _sweep.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Logged by the sweep; what it left is swept at the next open.
        }
        await TableFiles.DisposeAsync().ConfigureAwait(false);
        foreach (var coordinator in _groups.Values)
        {
            // Closing the store is a graceful stop for its readers: the groups keep their positions.
            try
            {
                await coordinator.SaveAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The log failed: the group resumes from its last durable snapshot (at-least-once).
            }
            coordinator.Dispose();
        }
        _groups.Clear();
    }

    /// <summary>
    /// The index of a key-value table, opened once per store open (<see cref="TableIndex.OpenAsync"/>) and shared by its handles.
    /// </summary>
    /// <exception cref="InvalidOperationException">The table does not exist.</exception>
    public async Task<TableIndex> TableAsync(string scope, string table, CancellationToken ct)
    {
        var key = (scope, table);
        while (true)
        {
            var build = _tables.GetOrAdd(key, k => new Lazy<Task<TableIndex>>(() => BuildTableAsync(k.Scope, k.Table)));
            TableIndex index;
            try
            {
                index = await build.Value.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _tables.TryRemove(KeyValuePair.Create(key, build)); // the next open tries again
                throw;
            }
            if (!index.Stream.IsDeleted) return index;
            _tables.TryRemove(KeyValuePair.Create(key, build)); // deleted (and perhaps created again): build anew
        }
    }

    private async Task<TableIndex> BuildTableAsync(string scope, string table)
    {
        StreamState stream;
        try
        {
            stream = Controller.GetStream(scope, TableIndex.StreamName(table));
        }
        catch (StreamNotFoundException)
        {
            await Controller.WhenObservedDurableAsync(CancellationToken.None).ConfigureAwait(false);
            throw new InvalidOperationException($"Key-value table {scope}/{table} does not exist.");
        }
        return await TableIndex.OpenAsync(this, stream, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Forgets a deleted table's index: its merges and compactions stop, and its index files are deleted.</summary>
    public async Task ForgetTableAsync(string scope, string table, IReadOnlyList<string> prefixes)
    {
        if (_tables.TryRemove((scope, table), out var open) && open.IsValueCreated)
        {
            try
            {
                await (await open.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // It never opened: nothing runs.
            }
        }
        foreach (string prefix in prefixes)
            foreach (string name in await TableRun.ListAsync(TableFiles, prefix, CancellationToken.None).ConfigureAwait(false))
                await TableFiles.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Waits until no open table merges or compacts (tests: the index files are then what the data implies).</summary>
    public async Task TablesIdleAsync()
    {
        bool busy = true;
        while (busy)
        {
            busy = false;
            foreach (var table in _tables.Values)
            {
                if (!table.IsValueCreated) continue;
                foreach (var partition in (await table.Value.ConfigureAwait(false)).Partitions)
                {
                    var work = partition.Work;
                    if (work.IsCompleted) continue;
                    busy = true;
                    await work.ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Starts deleting, in the background, the index files of table partitions that no longer exist (a crash during a table's deletion).</summary>
    public void StartTableSweep() => _sweep = Task.Run(SweepTableFilesAsync);

    private async Task SweepTableFilesAsync()
    {
        try
        {
            var names = await TableRun.ListAsync(TableFiles, "", CancellationToken.None).ConfigureAwait(false);
            if (names.Count == 0) return;
            // Listed first, then the live segments: a file of a segment created after the listing is not in it.
            HashSet<string> live;
            lock (Container.Lock) live = Container.AllSegments.Where(s => !s.IsDeleted).Select(s => s.TierPrefix).ToHashSet(StringComparer.Ordinal);
            int deleted = 0;
            foreach (string name in names)
            {
                if (_disposed) break;
                int slash = name.LastIndexOf('/');
                if (slash > 0 && live.Contains(name[..slash])) continue;
                await TableFiles.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
                deleted++;
            }
            if (deleted > 0) TableLog.IndexFilesSwept(TableLogger, deleted);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            TableLog.IndexSweepFailed(TableLogger, e);
        }
    }

    /// <summary>
    /// The coordinator of a group that exists (<see cref="ReaderGroupNotFoundException"/> otherwise), replaced when the
    /// group was re-created or reset.
    /// </summary>
    public ReaderGroupCoordinator Coordinator(string scope, string group)
    {
        var state = Controller.GetReaderGroup(scope, group);
        while (true)
        {
            var coordinator = _groups.GetOrAdd((scope, group), _ => new ReaderGroupCoordinator(this, state));
            if (ReferenceEquals(coordinator.State, state) && coordinator.Generation == state.Generation) return coordinator;
            if (_groups.TryRemove(new KeyValuePair<(string, string), ReaderGroupCoordinator>((scope, group), coordinator)))
                coordinator.Dispose();
        }
    }

    /// <summary>Gives a group a new configuration: its readers must reinitialize.</summary>
    public async Task ResetGroupAsync(string scope, string group, ReaderGroupConfig config, CancellationToken ct)
    {
        await Controller.ResetReaderGroupAsync(scope, group, config, ct).ConfigureAwait(false);
        if (_groups.TryRemove((scope, group), out var old)) old.Dispose();
    }

    public void ForgetGroup(string scope, string group)
    {
        if (_groups.TryRemove((scope, group), out var c)) c.Dispose();
    }
}
