using System.Diagnostics;
using System.Globalization;
using Pravega.Embedded.Tests.Integration;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Memory against data volume: <c>--events</c> (default 50 million) 100-byte events written (Fixed(4), 4,096 in flight)
/// into a store with Tier-2 while one reader reads them all, the managed heap (after a full collection), the process's
/// RSS, the read index, the WAL and Tier-2 sampled at every twentieth of the way. Flat heap and RSS lines are the point
/// (invariant 8: memory bounded by options, not by data). Markdown on stdout, progress on stderr.
/// </summary>
internal static class MemoryRunner
{
    private const int PayloadSize = 96; // + the 4-byte length the segment adds: 100 bytes per event
    private const int InFlight = 4096;

    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        long events = 50_000_000;
        long tier1Mib = 1024;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--events" when i + 1 < args.Length: events = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--tier1-mib" when i + 1 < args.Length: tier1Mib = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine("usage: memory [--dir D] [--events N] [--tier1-mib M]");
                    return 2;
            }
        }
        string root = Path.Combine(parent, "pravega-memory-" + Guid.NewGuid().ToString("N"));
        var options = StreamStoreOptions.InDirectory(root) with { Tier1MaxBytes = tier1Mib << 20 };
        try
        {
            await using var store = await StreamStore.OpenAsync(options);
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(4) });
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            long read = 0;
            var reading = Task.Run(async () =>
            {
                await using var reader = store.CreateReader("r", "s", "g", Serializers.Bytes);
                while (Volatile.Read(ref read) < events)
                {
                    var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(30));
                    if (e.HasEvent) Interlocked.Increment(ref read);
                    else if (!e.IsCheckpoint) throw new InvalidOperationException($"the reader stalled after {read:N0} events");
                }
            });
            Console.WriteLine($"{events:N0} events of 100 bytes, Fixed(4), {InFlight:N0} in flight, one reader reading along, Tier1MaxBytes {tier1Mib} MiB:");
            Console.WriteLine();
            Console.WriteLine("| written | read | seconds | managed heap MiB | RSS MiB | events in the read index | WAL per mirror MiB | Tier-2 MiB |");
            Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|--:|");
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Bytes);
            var payload = new byte[PayloadSize];
            var keys = Enumerable.Range(0, 64).Select(k => "k" + k.ToString(CultureInfo.InvariantCulture)).ToArray();
            var pending = new Queue<Task>(InFlight);
            var watch = Stopwatch.StartNew();
            long step = Math.Max(1, events / 20);
            for (long i = 0; i < events; i++)
            {
                pending.Enqueue(writer.WriteEventAsync(keys[i % keys.Length], payload));
                if (pending.Count >= InFlight) await pending.Dequeue();
                if ((i + 1) % step == 0) Sample(store, options, i + 1, Volatile.Read(ref read), watch.Elapsed);
            }
            while (pending.Count > 0) await pending.Dequeue();
            await reading;
            Sample(store, options, events, read, watch.Elapsed);
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

    private static void Sample(StreamStore store, StreamStoreOptions options, long written, long read, TimeSpan elapsed)
    {
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        long rss = process.WorkingSet64;
        long indexed = store.Runtime.Container.IndexedEvents;
        long wal = DiskUsage.Bytes(options.Tier1Directories[0], "wal-*");
        long tier2 = DiskUsage.Bytes(options.Tier2Directory!, "*.chunk");
        string line = string.Create(CultureInfo.InvariantCulture,
            $"| {written:N0} | {read:N0} | {elapsed.TotalSeconds:F0} | {heap >> 20} | {rss >> 20} | {indexed:N0} | {wal >> 20} | {tier2 >> 20} |");
        Console.WriteLine(line);
        Console.Error.WriteLine(line);
    }
}
