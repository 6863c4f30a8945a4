using System.Diagnostics;
using System.Globalization;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Key-value tables at volume: <c>--keys</c> keys (16-byte keys, 32-byte values) written with <c>UpdateAllAsync</c> in
/// batches of <c>--batch</c>, then the store reopened and the table opened again (its index from the index files, plus
/// the records after them), with the heap measured after a full collection, and every key read back; then single-key operations and
/// batches on the full table (ops/s, p50/p99, one caller and 64), and a synchronizer's conditional updates with 1 and 8
/// contending members. Markdown on stdout.
/// </summary>
internal static class KeyValueTableRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        int keys = 1_000_000, batch = 1000, partitions = 4;
        bool tier2 = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--keys" when i + 1 < args.Length: keys = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch" when i + 1 < args.Length: batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--partitions" when i + 1 < args.Length: partitions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-tier2": tier2 = false; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        string root = Path.Combine(parent, "pravega-kvt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = StreamStoreOptions.InDirectory(root);
            if (!tier2) options = options with { Tier2Directory = null };
            long heapBefore = Heap();
            var watch = Stopwatch.StartNew();
            await using (var store = await StreamStore.OpenAsync(options))
            {
                await store.Streams.CreateScopeAsync("s");
                await store.KeyValueTables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration { PartitionCount = partitions });
                await using var table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Bytes, Serializers.Bytes);
                var entries = new List<TableEntry<byte[], byte[]>>(batch);
                for (int k = 0; k < keys;)
                {
                    entries.Clear();
                    for (int j = 0; j < batch && k < keys; j++, k++) entries.Add(new TableEntry<byte[], byte[]>(Key(k), Value(k), KeyVersion.Any));
                    await table.UpdateAllAsync(entries);
                }
            }
            double writeSeconds = watch.Elapsed.TotalSeconds;

            watch.Restart();
            await using (var store = await StreamStore.OpenAsync(options))
            {
                double storeOpen = watch.Elapsed.TotalSeconds;
                long storeHeap = Heap() - heapBefore;
                watch.Restart();
                await using var table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Bytes, Serializers.Bytes);
                double tableOpen = watch.Elapsed.TotalSeconds;
                long tableHeap = Heap() - heapBefore - storeHeap;
                watch.Restart();
                for (int k = 0; k < keys; k++)
                {
                    var entry = await table.GetAsync(Key(k)) ?? throw new InvalidOperationException($"key {k} is missing");
                    if (!entry.Value.AsSpan().SequenceEqual(Value(k))) throw new InvalidOperationException($"key {k} has a wrong value");
                }
                double readSeconds = watch.Elapsed.TotalSeconds;
                long indexBytes = Directory.GetFiles(root, "*.kvi", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                Console.WriteLine($"{keys:N0} keys of 16 B with 32-B values, batches of {batch}, {partitions} partitions, {(tier2 ? "Tier-2" : "no Tier-2")}");
                Console.WriteLine();
                Console.WriteLine("| write (keys/s) | store open (s) | store heap (MB) | table open (s) | table index heap (MB) | per key (B) | index files (MB) | reads (keys/s) |");
                Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|--:|");
                Console.WriteLine($"| {keys / writeSeconds:N0} | {storeOpen:F2} | {storeHeap / 1e6:F1} | {tableOpen:F2} | {tableHeap / 1e6:F1} | {(double)tableHeap / keys:F1} | {indexBytes / 1e6:F0} | {keys / readSeconds:N0} |");
                Console.WriteLine();
                await OperationsAsync(table, keys);
                await SynchronizerAsync(store);
            }
            return 0;
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
    }

    /// <summary>Single-key operations, one at a time (latency) and 64 callers at once (throughput), on the full table.</summary>
    private static async Task OperationsAsync(IKeyValueTable<byte[], byte[]> table, int keys)
    {
        const int Count = 20_000;
        Console.WriteLine("| operation | callers | ops/s | p50 (µs) | p99 (µs) |");
        Console.WriteLine("|---|--:|--:|--:|--:|");
        foreach (int callers in new[] { 1, 64 })
        {
            foreach (string op in new[] { "get", "put", "replace", "updateAll x16" })
            {
                var latencies = new double[Count];
                int next = -1;
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < Count)
                    {
                        int k = (int)((uint)(i * 2654435761u) % (uint)keys);
                        long start = Stopwatch.GetTimestamp();
                        switch (op)
                        {
                            case "get":
                                _ = await table.GetAsync(Key(k));
                                break;
                            case "put":
                                await table.PutAsync(Key(k), Value(i));
                                break;
                            case "replace":
                                var entry = await table.GetAsync(Key(k));
                                try
                                {
                                    await table.ReplaceAsync(Key(k), Value(i), entry!.Version);
                                }
                                catch (ConditionalUpdateException)
                                {
                                    // another caller replaced it between the get and the replace
                                }
                                break;
                            default:
                                await table.UpdateAllAsync([.. Enumerable.Range(0, 16).Select(j => new TableEntry<byte[], byte[]>(Key((k + (j * 7919)) % keys), Value(i), KeyVersion.Any))]);
                                break;
                        }
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                })));
                double seconds = watch.Elapsed.TotalSeconds;
                Array.Sort(latencies);
                Console.WriteLine($"| {op} | {callers} | {Count / seconds:N0} | {latencies[Count / 2]:F0} | {latencies[Count * 99 / 100]:F0} |");
            }
        }
        Console.WriteLine();
    }

    /// <summary>Conditional increments of one synchronizer's counter by 1 and by 8 contending members.</summary>
    private static async Task SynchronizerAsync(StreamStore store)
    {
        Console.WriteLine("| synchronizer members | updates/s (all members) | conflicts per update |");
        Console.WriteLine("|--:|--:|--:|");
        foreach (int members in new[] { 1, 8 })
        {
            const int PerMember = 2000;
            var syncs = new List<IStateSynchronizer<long, long>>();
            string name = "counter" + members.ToString(CultureInfo.InvariantCulture);
            for (int m = 0; m < members; m++) syncs.Add(await store.CreateStateSynchronizerAsync("s", name, Serializers.Json<long>(), Serializers.Json<long>(), (_, v) => v));
            await syncs[0].InitializeAsync(0);
            long generated = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(syncs.Select(s => Task.Run(async () =>
            {
                for (int i = 0; i < PerMember; i++)
                    await s.UpdateStateAsync(c =>
                    {
                        Interlocked.Increment(ref generated);
                        return [c + 1];
                    });
            })));
            double seconds = watch.Elapsed.TotalSeconds;
            int updates = members * PerMember;
            Console.WriteLine($"| {members} | {updates / seconds:N0} | {(double)(generated - updates) / updates:F2} |");
            foreach (var s in syncs) await s.DisposeAsync();
        }
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static byte[] Key(int k)
    {
        var key = new byte[16];
        BitConverter.TryWriteBytes(key, (long)k);
        BitConverter.TryWriteBytes(key.AsSpan(8), (long)k * 2654435761L);
        return key;
    }

    private static byte[] Value(int k)
    {
        var value = new byte[32];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)(k + i);
        return value;
    }
}
