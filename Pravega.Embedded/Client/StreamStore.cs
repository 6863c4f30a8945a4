using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pravega.Embedded.Client.Internal;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded;

/// <summary>
/// The embedded store: controller, segment store, Tier-1 write-ahead log and optional Tier-2, in process. Open it with
/// <see cref="OpenAsync"/>; dispose it to flush and release everything. See <see cref="IStreamStore"/> for the
/// contract of each member.
/// </summary>
public sealed partial class StreamStore : IStreamStore
{
    private readonly StoreRuntime _runtime;
    private readonly IDisposable? _tier2Lock;
    private int _disposed;

    private StreamStore(StoreRuntime runtime, RetentionService retention, AutoScaler autoScaler, IDisposable? tier2Lock)
    {
        _runtime = runtime;
        Retention = retention;
        AutoScaler = autoScaler;
        _tier2Lock = tier2Lock;
        Streams = new StreamManager(runtime);
        ReaderGroups = new ReaderGroupManager(runtime);
        Batch = new BatchClient(runtime);
        KeyValueTables = new KeyValueTableManager(runtime);
    }

    /// <inheritdoc/>
    public IStreamManager Streams { get; }

    /// <inheritdoc/>
    public IReaderGroupManager ReaderGroups { get; }

    /// <inheritdoc/>
    public IKeyValueTableManager KeyValueTables { get; }

    /// <inheritdoc/>
    public IBatchClient Batch { get; }

    /// <summary>The store's shared state (internal: tests reach the container and controller through it).</summary>
    internal StoreRuntime Runtime => _runtime;

    /// <summary>Applies retention policies on the store's timer (internal: tests wait for its passes).</summary>
    internal RetentionService Retention { get; }

    /// <summary>Scales streams with rate policies on the store's timer (internal: tests run its checks).</summary>
    internal AutoScaler AutoScaler { get; }

    /// <summary>
    /// Opens a store on the directories of <paramref name="options"/>, creating missing ones and taking an exclusive
    /// lock on each. The store opens as long as one Tier-1 mirror holds a valid copy of every record, and repairs the
    /// others; every acknowledged append and metadata change is restored.
    /// </summary>
    /// <param name="options">Where and how the store keeps its data.</param>
    /// <param name="ct">Cancels opening (before recovery starts).</param>
    /// <returns>The open store.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="DataDirectoryLockedException">A directory is in use by another open store.</exception>
    /// <exception cref="StorageCorruptedException">
    /// No mirror holds a valid copy of some record, or Tier-2 does not describe the bytes the store recorded as tiered
    /// (a manifest or chunk damaged or removed); Tier-2 is then left as it was.
    /// </exception>
    public static Task<StreamStore> OpenAsync(StreamStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ct.ThrowIfCancellationRequested();
        return Task.Run(async () =>
        {
            var store = Open(options);
            if (options.SteppedLog || store.Runtime.Container.Tierer is not { } tierer) return store; // stepped: the test runs the first round
            try
            {
                // Every manifest is loaded (and orphans swept) before the store is handed out: damage refuses the open.
                await tierer.Ready.ConfigureAwait(false);
            }
            catch
            {
                await store.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            return store;
        }, ct);
    }

    private static StreamStore Open(StreamStoreOptions options)
    {
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        IDisposable? tier2Lock = options.Tier2Directory is { } tier2 ? options.Device.LockDirectory(tier2) : null;
        try
        {
            var controller = new StreamController();
            var wal = new WalOptions
            {
                Directories = options.Tier1Directories,
                FileSize = options.WalFileSize,
                MaxPendingBytes = options.WalMaxPendingBytes,
                MaxBytes = options.Tier1MaxBytes,
                LoggerFactory = loggerFactory,
                Device = options.Device,
                Stepped = options.SteppedLog,
                NewIds = options.NewIds,
            };
            var container = SegmentContainer.Open(wal, controller);
            controller.Attach(container);
            if (options.Tier2Directory is { } tier2Root)
            {
                var tiering = TieringOptions.For(options.Tier1MaxBytes, options.WalFileSize, options.CacheSizeBytes, options.Tier2ChunkSize, options.NewIds)
                              with { ReadAheadBlocks = options.SteppedLog ? 0 : 2 };
                var tierer = new SegmentTierer(container, new FileSystemChunkStorage(options.Device, tier2Root), tiering, loggerFactory);
                container.AttachTierer(tierer);
                if (!options.SteppedLog) tierer.Start();
            }
            var retention = new RetentionService(controller, options.TimeProvider, options.RetentionCheckInterval,
                                                 loggerFactory.CreateLogger("Pravega.Embedded.Controller"));
            var autoScaler = new AutoScaler(controller, container, options.TimeProvider, options.AutoScale,
                                            loggerFactory.CreateLogger("Pravega.Embedded.Controller"));
            var leases = new TransactionLeases(container, options.TimeProvider, loggerFactory.CreateLogger("Pravega.Embedded.SegmentStore"));
            var watermarks = new WatermarkService(options.TimeProvider, loggerFactory.CreateLogger("Pravega.Embedded.Controller"));
            // Table index files: derived data, one copy, in Tier-2 if there is one (they must not count against Tier-1's bound).
            var tableFiles = new FileSystemChunkStorage(options.Device, options.Tier2Directory ?? Path.Combine(options.Tier1Directories[0], "tables"));
            var runtime = new StoreRuntime(container, controller, leases, watermarks, options.TimeProvider, options.NewIds, tableFiles,
                                           options.TableIndex, loggerFactory.CreateLogger("Pravega.Embedded.KeyValueTables"));
            var store = new StreamStore(runtime, retention, autoScaler, tier2Lock);
            List<TransactionState> open;
            lock (container.Lock) open = [.. container.OpenTransactions];
            foreach (var t in open) leases.Track(t); // a full timeout from now (API.md)
            lock (container.Lock)
            {
                // A byte stream's bytes after its last flush are gone with their writer: the stream ends at that flush.
                foreach (var unit in container.OpenByteUnits.ToList()) container.AbortTransaction(unit, AbortReason.Requested);
            }
            retention.Start();
            autoScaler.Start();
            runtime.StartTableSweep();
            return store;
        }
        catch
        {
            tier2Lock?.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public IEventStreamWriter<T> CreateEventWriter<T>(string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options = null)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(serializer);
        options?.Validate(nameof(options));
        _runtime.ThrowIfDisposed();
        return new EventStreamWriter<T>(_runtime, scope, stream, serializer, options);
    }

    /// <inheritdoc/>
    public ITransactionalEventStreamWriter<T> CreateTransactionalWriter<T>(string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options = null)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(serializer);
        options?.Validate(nameof(options));
        _runtime.ThrowIfDisposed();
        return new TransactionalEventStreamWriter<T>(_runtime, scope, stream, serializer, options);
    }

    /// <inheritdoc/>
    public IEventStreamReader<T> CreateReader<T>(string readerId, string scope, string readerGroup, ISerializer<T> serializer, ReaderOptions? options = null)
    {
        NameValidator.ValidateId(readerId, nameof(readerId));
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(readerGroup, nameof(readerGroup));
        ArgumentNullException.ThrowIfNull(serializer);
        options?.Validate(nameof(options));
        _runtime.ThrowIfDisposed();
        return new EventStreamReader<T>(_runtime, readerId, scope, readerGroup, serializer, options);
    }

    /// <inheritdoc/>
    public Task<T> FetchEventAsync<T>(EventPointer pointer, ISerializer<T> serializer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        ArgumentNullException.ThrowIfNull(serializer);
        return _runtime.Run(async () =>
        {
            T value;
            try
            {
                value = await EventFetcher.FetchAsync(_runtime, pointer, serializer, ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return await _runtime.Fail<T>(e).ConfigureAwait(false); // reported once the metadata it depends on is durable
            }
            await _runtime.Controller.WhenObservedDurableAsync(CancellationToken.None).ConfigureAwait(false);
            return value;
        });
    }

    /// <inheritdoc/>
    public ByteStreamWriter CreateByteStreamWriter(string scope, string stream)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        _runtime.ThrowIfDisposed();
        return new ByteStreamWriter(_runtime, scope, stream);
    }

    /// <inheritdoc/>
    public ByteStreamReader CreateByteStreamReader(string scope, string stream)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        _runtime.ThrowIfDisposed();
        return new ByteStreamReader(_runtime, scope, stream);
    }

    /// <inheritdoc/>
    public Task<IStateSynchronizer<TState, TUpdate>> CreateStateSynchronizerAsync<TState, TUpdate>(
        string scope, string name, ISerializer<TState> stateSerializer, ISerializer<TUpdate> updateSerializer,
        Func<TState, TUpdate, TState> apply, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(stateSerializer);
        ArgumentNullException.ThrowIfNull(updateSerializer);
        ArgumentNullException.ThrowIfNull(apply);
        return _runtime.Run(async () =>
        {
            string streamName = StateSynchronizer<TState, TUpdate>.StreamName(name);
            await _runtime.Controller.CreateStreamAsync(scope, streamName, new StreamConfiguration(), ct).ConfigureAwait(false); // false: it exists
            return (IStateSynchronizer<TState, TUpdate>)StateSynchronizer<TState, TUpdate>.Open(_runtime, scope, streamName, stateSerializer, updateSerializer, apply);
        });
    }

    /// <inheritdoc/>
    public Task<IKeyValueTable<TKey, TValue>> OpenKeyValueTableAsync<TKey, TValue>(
        string scope, string table, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(table, nameof(table));
        ArgumentNullException.ThrowIfNull(keySerializer);
        ArgumentNullException.ThrowIfNull(valueSerializer);
        return _runtime.Run(async () =>
        {
            var index = await _runtime.TableAsync(scope, table, ct).ConfigureAwait(false);
            return (IKeyValueTable<TKey, TValue>)new KeyValueTable<TKey, TValue>(_runtime, index, $"{scope}/{table}", keySerializer, valueSerializer);
        });
    }

    /// <summary>Flushes every pending append, stops background work, and releases files and directory locks. Idempotent.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Retention.DisposeAsync().ConfigureAwait(false); // first: a pass writes metadata records
        await AutoScaler.DisposeAsync().ConfigureAwait(false); // so does a check
        await _runtime.Leases.DisposeAsync().ConfigureAwait(false); // and a timeout
        _runtime.Watermarks.Dispose();
        await _runtime.MarkDisposedAsync().ConfigureAwait(false);
        await _runtime.Container.DisposeAsync().ConfigureAwait(false);
        _tier2Lock?.Dispose();
    }
}
