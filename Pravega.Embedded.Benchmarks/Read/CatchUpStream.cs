using System.Diagnostics;
using System.Globalization;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// A store holding one Fixed(4) stream written in advance (events of one size, 16 routing keys, a closed loop with
/// several in flight), which <see cref="ReopenAsync"/> closes and opens again (its WAL recovered and mapped anew).
/// Measures one reader reading the whole stream from the head, and the raw sequential read of the same WAL files of
/// mirror 0.
/// </summary>
internal sealed class CatchUpStream : IAsyncDisposable
{
    public const string Scope = "bench";
    public const string Stream = "catchup";
    private const int Keys = 16;

    private readonly string _root;
    private StreamStore _store;
    private int _groups;

    private CatchUpStream(string root, StreamStore store, int eventSize, int events, TimeSpan writeTime)
    {
        _root = root;
        _store = store;
        EventSize = eventSize;
        Events = events;
        WriteTime = writeTime;
    }

    public int EventSize { get; }

    public int Events { get; }

    public long PayloadBytes => (long)EventSize * Events;

    public TimeSpan WriteTime { get; }

    /// <summary>How long the last reopen took (WAL recovery of the whole stream), if there was one.</summary>
    public TimeSpan? ReopenTime { get; private set; }

    /// <summary>The WAL files of the first mirror: what the raw read reads.</summary>
    public string Mirror => Path.Combine(_root, "tier1-0");

    /// <summary>Creates a store under <paramref name="root"/> and writes <paramref name="totalBytes"/> of events into its stream.</summary>
    public static async Task<CatchUpStream> WriteAsync(string root, int eventSize, long totalBytes, int inFlight)
    {
        int events = checked((int)(totalBytes / eventSize));
        var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
        try
        {
            await store.Streams.CreateScopeAsync(Scope);
            await store.Streams.CreateStreamAsync(Scope, Stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(4) });
            var keys = new string[Keys];
            for (int k = 0; k < keys.Length; k++) keys[k] = "key-" + k.ToString(CultureInfo.InvariantCulture);
            var random = new Random(5);
            await using var writer = store.CreateEventWriter(Scope, Stream, Serializers.Bytes);
            int next = -1;
            long start = Stopwatch.GetTimestamp();
            var callers = new Task[Math.Min(inFlight, events)];
            for (int c = 0; c < callers.Length; c++)
            {
                var payload = new byte[eventSize];
                random.NextBytes(payload);
                callers[c] = Caller(payload);
            }
            await Task.WhenAll(callers);
            var took = Stopwatch.GetElapsedTime(start);
            return new CatchUpStream(root, store, eventSize, events, took);

            async Task Caller(byte[] payload)
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < events) await writer.WriteEventAsync(keys[i % keys.Length], payload);
            }
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the store and opens it again: recovery replays the WAL and the files are mapped anew.</summary>
    public async Task ReopenAsync()
    {
        await _store.DisposeAsync();
        long start = Stopwatch.GetTimestamp();
        _store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(_root));
        ReopenTime = Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// A new reader group (new groups start at the head) with one reader that reads every event, awaiting each
    /// <c>ReadNextEventAsync</c>; the clock runs from the first call to the last event.
    /// </summary>
    public Task<CatchUpMeasurement> ReadStoreAsync<T>(string system, ISerializer<T> serializer, Func<T, int> length) =>
        MeasureAsync(system, serializer, async reader =>
        {
            long bytes = 0;
            for (int events = 0; events < Events;)
            {
                var read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
                if (read.HasEvent)
                {
                    bytes += length(read.Event!);
                    events++;
                }
                else if (!read.IsCheckpoint)
                {
                    throw new InvalidOperationException($"The reader got {events:N0} of {Events:N0} events, then {read}.");
                }
            }
            return bytes;
        });

    /// <summary>
    /// The same with batch reads (<c>ReadNextEventsAsync</c> into one reused 1 MiB batch, up to 4,096 events each),
    /// counting the events' bytes.
    /// </summary>
    public Task<CatchUpMeasurement> ReadStoreBatchAsync() =>
        MeasureAsync(ReadSystems.StoreBatch, Serializers.Bytes, reader => BatchCatchUp.ReadAllAsync(reader, Events, TimeSpan.FromSeconds(5)));

    /// <summary>One reader of a new group reads the whole stream with <paramref name="readAll"/> (its payload bytes), measured.</summary>
    private async Task<CatchUpMeasurement> MeasureAsync<T>(string system, ISerializer<T> serializer, Func<IEventStreamReader<T>, Task<long>> readAll)
    {
        string group = "catchup-" + (++_groups).ToString(CultureInfo.InvariantCulture);
        await _store.ReaderGroups.CreateReaderGroupAsync(Scope, group, ReaderGroupConfig.ForStream(Scope, Stream));
        try
        {
            await using var reader = _store.CreateReader("reader", Scope, group, serializer);
            return await MeasureAsync(system, async () =>
            {
                long start = Stopwatch.GetTimestamp();
                long bytes = await readAll(reader);
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (bytes != PayloadBytes) throw new InvalidOperationException($"Read {bytes:N0} payload bytes, wrote {PayloadBytes:N0}.");
                return (bytes, elapsed);
            });
        }
        finally
        {
            await _store.ReaderGroups.DeleteReaderGroupAsync(Scope, group);
        }
    }

    /// <summary>
    /// The raw sequential read of the files holding the stream: mirror 0's WAL files (whole, zero-filled tails included)
    /// and the Tier-2 chunks.
    /// </summary>
    public Task<CatchUpMeasurement> ReadRawAsync() => MeasureAsync(ReadSystems.Raw, () =>
    {
        // The same bytes as the store reads: what is left in the WAL, and the Tier-2 chunks the tierer moved the rest to.
        var files = Directory.GetFiles(Mirror, "wal-*.log").Order(StringComparer.Ordinal).ToList();
        string tier2 = Path.Combine(_root, "tier2");
        if (Directory.Exists(tier2)) files.AddRange(Directory.GetFiles(tier2, "*.chunk", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return Task.FromResult(RawSequentialRead.ReadFiles([.. files]));
    });

    /// <summary>
    /// Runs <paramref name="work"/> (which says the bytes it read and the time its reading took) after a full collection,
    /// with the process's CPU time, the bytes allocated and the gen0 collections around it.
    /// </summary>
    private async Task<CatchUpMeasurement> MeasureAsync(string system, Func<Task<(long Bytes, TimeSpan Elapsed)>> work)
    {
        Settle();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int gen0Before = GC.CollectionCount(0);
        var (bytes, elapsed) = await work();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int gen0 = GC.CollectionCount(0) - gen0Before;
        process.Refresh();
        return new CatchUpMeasurement(system, EventSize, bytes, Events, elapsed, process.TotalProcessorTime - cpuBefore, allocated, gen0);
    }

    /// <summary>
    /// Drops the clean page cache (<c>sync</c>, then <c>3</c> to <c>/proc/sys/vm/drop_caches</c>; root only). Pages
    /// mapped by a process stay: the store's files must be reopened before a cold read. False if not allowed here.
    /// </summary>
    public static bool DropCaches()
    {
        try
        {
            using (var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false }))
                sync?.WaitForExit();
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

/// <summary>The names of what the catch-up benchmark measures.</summary>
internal static class ReadSystems
{
    public const string Raw = "raw sequential read (1 MiB reads)";
    public const string StoreBytes = "store, Serializers.Bytes";
    public const string StoreLength = "store, length only";
    public const string StoreUninitialized = "store, copy into an uninitialized array";
    public const string StoreReused = "store, copy into a reused buffer";
    public const string StoreBatch = "store, batch read (ReadNextEventsAsync)";
}

/// <summary>When a catch-up read ran.</summary>
internal static class Phases
{
    public const string FirstAfterReopen = "first read after reopen";
    public const string Warm = "warm";
    public const string Cold = "cold cache";
}

/// <summary>One timed catch-up read: payload bytes for the store, file bytes for the raw read.</summary>
internal sealed record CatchUpMeasurement(string System, int EventSize, long Bytes, int Events, TimeSpan Elapsed, TimeSpan Cpu, long Allocated, int Gen0)
{
    /// <summary>One of <see cref="Phases"/>.</summary>
    public string Phase { get; init; } = Phases.Warm;

    public double MegabytesPerSecond => Bytes / Elapsed.TotalSeconds / 1e6;

    public double CpuPercent => 100 * Cpu.TotalSeconds / Elapsed.TotalSeconds;

    public double MicrosPerEvent => Elapsed.TotalMilliseconds * 1000 / Events;

    public double AllocatedPerEvent => (double)Allocated / Events;
}
