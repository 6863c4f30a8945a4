namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>What a load workload writes to: the store through its public API, or the raw baseline.</summary>
internal interface ILoadTarget : IAsyncDisposable
{
    /// <summary>Writes one event for caller <paramref name="caller"/>; the task completes when it is durable in all three mirror directories.</summary>
    ValueTask WriteAsync(int caller, string routingKey, byte[] evt);

    /// <summary>Bytes written to each mirror for one event of <paramref name="eventSize"/> bytes (framing included).</summary>
    int BytesPerEvent(int eventSize);
}

/// <summary>The store: <see cref="StreamStore.OpenAsync"/> on <see cref="StreamStoreOptions.InDirectory"/>, byte-array writers.</summary>
internal sealed class StoreTarget : ILoadTarget
{
    private readonly StreamStore _store;
    private readonly IEventStreamWriter<byte[]>[] _writers;
    private readonly WalFileCounter _files;

    private StoreTarget(StreamStore store, IEventStreamWriter<byte[]>[] writers, WalFileCounter files) => (_store, _writers, _files) = (store, writers, files);

    /// <summary>WAL files the store moved to so far, and how many of them were not fully zero-filled in time.</summary>
    public (int Activated, int NotReady, int Recycled) WalFiles => (_files.Activated, _files.NotReady, _files.Recycled);

    public static async Task<StoreTarget> OpenAsync(string root, int segments, int writers, int walFileSize)
    {
        var files = new WalFileCounter();
        var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root) with { LoggerFactory = files, WalFileSize = walFileSize });
        try
        {
            await store.Streams.CreateScopeAsync("bench");
            await store.Streams.CreateStreamAsync("bench", "load", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) });
            var created = new IEventStreamWriter<byte[]>[writers];
            for (int w = 0; w < writers; w++) created[w] = store.CreateEventWriter("bench", "load", Serializers.Bytes);
            return new StoreTarget(store, created, files);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public ValueTask WriteAsync(int caller, string routingKey, byte[] evt) => new(_writers[caller % _writers.Length].WriteEventAsync(routingKey, evt));

    /// <summary>
    /// WAL frame header + append record header (type 1, stream 8, segment 8, event number 8, id length 1) + writer id
    /// + event length (4) + event: see <c>SegmentContainer</c>.
    /// </summary>
    public int BytesPerEvent(int eventSize) => Tier1.WalFormat.FrameHeaderSize + 26 + _writers[0].WriterId.Length + 4 + eventSize;

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers) await writer.DisposeAsync();
        await _store.DisposeAsync();
        _files.Dispose();
    }
}

/// <summary>The raw baseline, in the same three mirror directory names the store uses.</summary>
internal sealed class RawTarget(RawBaseline raw) : ILoadTarget
{
    public ValueTask WriteAsync(int caller, string routingKey, byte[] evt) => new(raw.AppendAsync(evt));

    public int BytesPerEvent(int eventSize) => RawBaseline.FrameHeaderSize + eventSize;

    public ValueTask DisposeAsync() => raw.DisposeAsync();
}

/// <summary>
/// The store's Tier-1 WAL alone (internal API): each event is one record with just the event bytes, appended under a
/// lock (the WAL has one appender at a time) and awaited through its pooled <see cref="ValueTask"/>. It separates
/// what the WAL's file handling costs from what the container and client add.
/// </summary>
internal sealed class WalTarget : ILoadTarget
{
    private readonly Tier1.WriteAheadLog _log;
    private readonly WalFileCounter _files;
    private readonly object _appendLock = new();

    public WalTarget(IReadOnlyList<string> mirrors, int fileSize, bool preZero)
    {
        _files = new WalFileCounter();
        _log = Tier1.WriteAheadLog.Open(
            new Tier1.WalOptions { Directories = mirrors, FileSize = fileSize, PreZeroFiles = preZero, LoggerFactory = _files },
            static (_, _, _) => { }, static _ => { });
    }

    public (int Activated, int NotReady, int Recycled) WalFiles => (_files.Activated, _files.NotReady, _files.Recycled);

    public ValueTask WriteAsync(int caller, string routingKey, byte[] evt)
    {
        long lsn;
        lock (_appendLock) lsn = _log.Append(evt.Length, evt, static (destination, e) => e.AsSpan().CopyTo(destination), out _);
        return _log.WhenDurable(lsn);
    }

    public int BytesPerEvent(int eventSize) => Tier1.WalFormat.FrameHeaderSize + eventSize;

    public async ValueTask DisposeAsync()
    {
        await _log.DisposeAsync();
        _files.Dispose();
    }
}
