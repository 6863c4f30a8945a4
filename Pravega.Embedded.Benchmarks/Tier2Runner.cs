using System.Diagnostics;
using System.Globalization;
using Pravega.Embedded.Tests.Integration;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Tier-2 in one run: (1) sustained writes of <c>--gib</c> GiB of events (<c>--event-bytes</c>, default 1 KiB) with tiering on (<c>Tier1MaxBytes</c>
/// <c>--tier1-mib</c>, default 256) and off (no Tier-2), the two taking turns for <c>--rounds</c> rounds, with the largest
/// WAL size of a mirror seen while writing; (2) the tiered store reopened (open time against the history), then catch-up
/// of the whole stream by one reader against the raw sequential read (1 MiB reads) of the same bytes in the Tier-2 chunk
/// files, taking turns, with a warm page cache and then a cold one (dropped before each read; root only). Markdown on
/// stdout, progress on stderr.
/// </summary>
internal static class Tier2Runner
{
    private const int InFlight = 256;
    private static int EventSize = 1 << 10;

    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        double gib = 2;
        long tier1Mib = 256;
        int rounds = 2;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--gib" when i + 1 < args.Length: gib = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--tier1-mib" when i + 1 < args.Length: tier1Mib = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--event-bytes" when i + 1 < args.Length: EventSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine("usage: tier2 [--dir D] [--gib N] [--tier1-mib M] [--rounds N] [--event-bytes B]");
                    return 2;
            }
        }
        long events = (long)(gib * (1L << 30) / EventSize);
        string root = Path.Combine(parent, "pravega-tier2-" + Guid.NewGuid().ToString("N"));
        try
        {
            var writes = new List<(string System, double EventsPerSecond, long MaxWalBytes)>();
            string tieredRoot = "";
            for (int round = 0; round < rounds; round++)
            {
                foreach (bool tiered in round % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    string dir = Path.Combine(root, $"{(tiered ? "on" : "off")}-{round}");
                    var options = StreamStoreOptions.InDirectory(dir) with { Tier1MaxBytes = tier1Mib << 20 };
                    if (!tiered) options = options with { Tier2Directory = null };
                    var (rate, maxWal) = await WriteAsync(options, events);
                    writes.Add((tiered ? "tiering on" : "tiering off", rate, maxWal));
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}, tiering {(tiered ? "on" : "off")}: {rate:N0} events/s, WAL at most {maxWal >> 20} MiB per mirror"));
                    if (tiered && round == rounds - 1) tieredRoot = dir; // read back below
                    else Directory.Delete(dir, recursive: true);
                }
            }
            Console.WriteLine($"Sustained writes, {gib:0.##} GiB of {EventSize:N0}-byte events per run, Fixed(4), {InFlight} in flight, Tier1MaxBytes {tier1Mib} MiB:");
            Console.WriteLine();
            Console.WriteLine("| system | events/s (median of runs) | largest WAL per mirror while writing |");
            Console.WriteLine("|---|--:|--:|");
            double on = Median(writes.Where(w => w.System == "tiering on").Select(w => w.EventsPerSecond));
            double off = Median(writes.Where(w => w.System == "tiering off").Select(w => w.EventsPerSecond));
            foreach (string system in new[] { "tiering off", "tiering on" })
            {
                var runs = writes.Where(w => w.System == system).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {system} | {Median(runs.Select(r => r.EventsPerSecond)):N0} | {runs.Max(r => r.MaxWalBytes) >> 20} MiB |"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nTiering on / off: {on / off:F2}x\n"));

            await CatchUpAsync(tieredRoot, events, tier1Mib, rounds: 3);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return 0;
    }

    private static async Task<(double EventsPerSecond, long MaxWalBytes)> WriteAsync(StreamStoreOptions options, long events)
    {
        await using var store = await StreamStore.OpenAsync(options);
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(4) });
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Bytes);
        var payload = new byte[EventSize - 4]; // the segment adds a 4-byte length: each event takes EventSize bytes
        new Random(3).NextBytes(payload);
        var pending = new Queue<Task>(InFlight);
        long maxWal = 0;
        var sample = Stopwatch.StartNew();
        var watch = Stopwatch.StartNew();
        for (long i = 0; i < events; i++)
        {
            pending.Enqueue(writer.WriteEventAsync("k" + (i % 64).ToString(CultureInfo.InvariantCulture), payload));
            if (pending.Count >= InFlight) await pending.Dequeue();
            if (sample.ElapsedMilliseconds >= 200)
            {
                sample.Restart();
                maxWal = Math.Max(maxWal, WalBytes(options.Tier1Directories[0]));
            }
        }
        while (pending.Count > 0) await pending.Dequeue();
        double rate = events / watch.Elapsed.TotalSeconds;
        return (rate, Math.Max(maxWal, WalBytes(options.Tier1Directories[0])));
    }

    private static async Task CatchUpAsync(string root, long events, long tier1Mib, int rounds)
    {
        var options = StreamStoreOptions.InDirectory(root) with { Tier1MaxBytes = tier1Mib << 20 };
        var watch = Stopwatch.StartNew();
        var store = await StreamStore.OpenAsync(options);
        double openMs = watch.Elapsed.TotalMilliseconds;
        try
        {
            long tiered = 0, durable = 0;
            lock (store.Runtime.Container.Lock)
            {
                foreach (var s in store.Runtime.Container.AllSegments)
                {
                    tiered += s.TieredLength - s.StartOffset;
                    durable += s.DurableLength - s.StartOffset;
                }
            }
            string tier2 = options.Tier2Directory!;
            long chunkBytes = Directory.GetFiles(tier2, "*.chunk", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Reopen of the tiered store ({durable >> 20} MiB of history, {tiered >> 20} MiB of it in Tier-2, WAL {WalBytes(options.Tier1Directories[0]) >> 20} MiB per mirror): {openMs:F0} ms, {store.Runtime.Container.IndexedEvents:N0} events indexed\n"));

            var results = new List<(string System, double MBps)>();
            for (int round = 0; round < rounds + 1; round++) // round 0 warms up (JIT, page cache)
            {
                string[] systems = ["raw", "store", "batch"];
                for (int turn = 0; turn < systems.Length; turn++)
                {
                    string system = systems[(round + turn) % systems.Length];
                    GC.Collect();
                    var (bytes, elapsed) = system switch
                    {
                        "raw" => ReadChunks(tier2),
                        "store" => await ReadStoreAsync(store, events, round),
                        _ => await ReadBatchesAsync(store, events, "catchup-batch-" + round.ToString(CultureInfo.InvariantCulture)),
                    };
                    double mbps = bytes / elapsed.TotalSeconds / 1e6;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"catch-up round {round}: {system} {mbps:N0} MB/s"));
                    if (round > 0) results.Add((system, mbps));
                }
            }
            Console.WriteLine("Catch-up from Tier-2 (warm page cache), one reader from the head:");
            Console.WriteLine();
            Console.WriteLine("| system | MB/s (median) |");
            Console.WriteLine("|---|--:|");
            double rawMbps = Median(results.Where(r => r.System == "raw").Select(r => r.MBps));
            double storeMbps = Median(results.Where(r => r.System == "store").Select(r => r.MBps));
            double batchMbps = Median(results.Where(r => r.System == "batch").Select(r => r.MBps));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| raw sequential read of the chunk files (1 MiB reads) | {rawMbps:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| store reader, Serializers.Bytes (payload bytes) | {storeMbps:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| store / raw | {storeMbps / rawMbps:F2}x |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| store reader, batch read (ReadNextEventsAsync, 1 MiB batch) | {batchMbps:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| batch read / raw | {batchMbps / rawMbps:F2}x |"));
            // The reader's own cost per event: a deserializer that copies nothing (the event's length only).
            var (lengthBytes, lengthElapsed) = await ReadStoreAsync(store, events, "catchup-length", Read.LengthOnlySerializer.Instance, static n => n);
            double lengthMbps = lengthBytes / lengthElapsed.TotalSeconds / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| store reader, length only (no copy of the event), one round | {lengthMbps:N0} ({lengthMbps / rawMbps:F2}x) |"));

            // Cold: what Tier-2 is for (data read long after it was written). The store is reopened after the drop, so
            // neither its block cache nor mapped pages hold anything.
            var cold = new List<(string System, double MBps)>();
            for (int round = 0; round < rounds; round++)
            {
                string[] coldSystems = ["raw", "store", "batch"];
                for (int turn = 0; turn < coldSystems.Length; turn++)
                {
                    string system = coldSystems[(round + turn) % coldSystems.Length];
                    await store.DisposeAsync();
                    if (!Read.CatchUpStream.DropCaches())
                    {
                        Console.WriteLine("\n(cold rounds skipped: dropping the page cache is not allowed here)");
                        store = await StreamStore.OpenAsync(options);
                        return;
                    }
                    store = await StreamStore.OpenAsync(options);
                    var (bytes, elapsed) = system switch
                    {
                        "raw" => ReadChunks(tier2),
                        "store" => await ReadStoreAsync(store, events, 100 + round),
                        _ => await ReadBatchesAsync(store, events, "cold-batch-" + round.ToString(CultureInfo.InvariantCulture)),
                    };
                    cold.Add((system, bytes / elapsed.TotalSeconds / 1e6));
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold round {round + 1}: {system} {cold[^1].MBps:N0} MB/s"));
                }
            }
            double coldRaw = Median(cold.Where(c => c.System == "raw").Select(c => c.MBps)), coldStore = Median(cold.Where(c => c.System == "store").Select(c => c.MBps));
            double coldBatch = Median(cold.Where(c => c.System == "batch").Select(c => c.MBps));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cold cache: raw sequential read of the chunk files | {coldRaw:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cold cache: store reader (store reopened after the drop) | {coldStore:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cold cache: store / raw | {coldStore / coldRaw:F2}x |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cold cache: batch read | {coldBatch:N0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cold cache: batch read / raw | {coldBatch / coldRaw:F2}x |"));
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private static Task<(long Bytes, TimeSpan Elapsed)> ReadStoreAsync(StreamStore store, long events, int round) =>
        ReadStoreAsync(store, events, "catchup-" + round.ToString(CultureInfo.InvariantCulture), Serializers.Bytes, static b => b.Length);

    private static async Task<(long Bytes, TimeSpan Elapsed)> ReadStoreAsync<T>(StreamStore store, long events, string group, ISerializer<T> serializer, Func<T, int> length)
    {
        await store.ReaderGroups.CreateReaderGroupAsync("s", group, ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", group, serializer);
        long bytes = 0, read = 0;
        var watch = Stopwatch.StartNew();
        while (read < events)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));
            if (!e.HasEvent)
            {
                if (e.IsCheckpoint) continue;
                throw new InvalidOperationException($"read {read:N0} of {events:N0} events, then nothing");
            }
            bytes += length(e.Event!);
            read++;
        }
        return (bytes, watch.Elapsed);
    }

    /// <summary>One reader of a new group reads every event with batch reads into one reused 1 MiB batch.</summary>
    private static async Task<(long Bytes, TimeSpan Elapsed)> ReadBatchesAsync(StreamStore store, long events, string group)
    {
        await store.ReaderGroups.CreateReaderGroupAsync("s", group, ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", group, Serializers.Bytes);
        var watch = Stopwatch.StartNew();
        long bytes = await Read.BatchCatchUp.ReadAllAsync(reader, events, TimeSpan.FromSeconds(10));
        return (bytes, watch.Elapsed);
    }

    private static (long Bytes, TimeSpan Elapsed) ReadChunks(string tier2)
    {
        var files = Directory.GetFiles(tier2, "*.chunk", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        return Read.RawSequentialRead.ReadFiles(files);
    }

    private static long WalBytes(string mirror) => DiskUsage.Bytes(mirror, "wal-*");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
