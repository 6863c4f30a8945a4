using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Bytes allocated per append in steady state, at three levels: the Tier-1 WAL alone, the segment container (WAL record
/// plus segment index and durability effects), and the public <see cref="IEventStreamWriter{T}.WriteEventAsync(string, T, CancellationToken)"/>.
/// Each invocation appends 256 events of 100 bytes and then waits until the last is durable in all three mirrors
/// (temporary directories on one disk), so one invocation is one group commit and the reported figures are per append.
/// </summary>
/// <remarks>
/// The benchmark methods use <see cref="PoolingAsyncValueTaskMethodBuilder"/> so their own state machine is not counted.
/// The WAL keeps its default 32 MiB files, so rolling to the next (prepared ahead) file is part of the steady state.
/// </remarks>
public class AppendAllocationBenchmarks
{
    private const int Appends = 256;
    private const int EventSize = 100;
    private static readonly string WriterId = new('w', 32); // as long as a default (GUID "N") writer id

    private readonly byte[] _event = new byte[EventSize];
    private readonly Task[] _acks = new Task[Appends];
    private string _root = "";
    private WriteAheadLog? _log;
    private SegmentContainer? _container;
    private Segment? _segment;
    private StreamStore? _store;
    private IEventStreamWriter<byte[]>? _writer;

    [GlobalSetup(Target = nameof(Wal_Append))]
    public void SetupWal()
    {
        _root = NewRoot();
        _log = WriteAheadLog.Open(new WalOptions { Directories = Mirrors(_root) }, static (_, _, _) => { }, static _ => { });
    }

    [GlobalSetup(Target = nameof(Container_AppendEvent))]
    public void SetupContainer()
    {
        _root = NewRoot();
        _container = SegmentContainer.Open(new WalOptions { Directories = Mirrors(_root) }, new NoMetadata());
        lock (_container.Lock) _segment = _container.CreateSegment(1, 1, "bench", "append");
    }

    [GlobalSetup(Target = nameof(Writer_WriteEventAsync))]
    public void SetupWriter()
    {
        _root = NewRoot();
        _store = StreamStore.OpenAsync(StreamStoreOptions.InDirectory(_root)).GetAwaiter().GetResult();
        _store.Streams.CreateScopeAsync("bench").GetAwaiter().GetResult();
        _store.Streams.CreateStreamAsync("bench", "alloc", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) }).GetAwaiter().GetResult();
        _writer = _store.CreateEventWriter("bench", "alloc", Serializers.Bytes);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _container?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _log?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_writer, _store, _container, _segment, _log) = (null, null, null, null, null);
        if (_root.Length > 0) Directory.Delete(_root, recursive: true);
    }

    /// <summary>256 × <c>WriteAheadLog.Append</c> (payload copied in by a static lambda), then <c>WhenDurable</c> of the last.</summary>
    [Benchmark(OperationsPerInvoke = Appends)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask Wal_Append()
    {
        var log = _log!;
        long lsn = 0;
        for (int i = 0; i < Appends; i++)
            lsn = log.Append(EventSize, _event, static (destination, e) => e.AsSpan().CopyTo(destination), out _);
        await log.WhenDurable(lsn);
    }

    /// <summary>256 × <c>SegmentContainer.AppendEvent</c> under the container lock, as the writer calls it, then <c>WhenDurable</c>.</summary>
    [Benchmark(OperationsPerInvoke = Appends)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask Container_AppendEvent()
    {
        var container = _container!;
        long lsn = 0;
        for (int i = 0; i < Appends; i++)
        {
            lock (container.Lock) lsn = container.AppendEvent(_segment!, WriterId, SegmentContainer.NoEventNumber, _event, out _);
        }
        await container.Log.WhenDurable(lsn);
    }

    /// <summary>256 × the public <c>WriteEventAsync</c> (one <see cref="Task"/> each), then awaits them, last first.</summary>
    [Benchmark(OperationsPerInvoke = Appends)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask Writer_WriteEventAsync()
    {
        var writer = _writer!;
        for (int i = 0; i < Appends; i++) _acks[i] = writer.WriteEventAsync("key", _event);
        for (int i = Appends - 1; i >= 0; i--) await _acks[i];
    }

    private static string NewRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "pravega-bench-alloc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }

    private static string[] Mirrors(string root)
    {
        var mirrors = new string[3];
        for (int m = 0; m < mirrors.Length; m++) mirrors[m] = Directory.CreateDirectory(Path.Combine(root, $"tier1-{m}")).FullName;
        return mirrors;
    }

    /// <summary>No metadata records are written here; replay of a fresh log finds none.</summary>
    private sealed class NoMetadata : IMetadataLog
    {
        public void Apply(ReadOnlySpan<byte> record, SegmentContainer container) { }

        public void WriteCheckpoint(List<byte[]> records) { }
    }
}
