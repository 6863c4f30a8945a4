using System.Diagnostics;
using System.Globalization;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Transactions against plain writes, in one store, rounds interleaved (the machine is noisy): a round writes
/// <c>--events</c> events of <c>--event-bytes</c> through a plain writer (all in flight, then awaited), and the same
/// through one transaction (begin, all writes in flight and awaited, commit), and through one more transaction written as
/// a Pravega client writes one (begin, writes not awaited, commit at once). Reports the medians and p90 of each, the
/// transaction's parts, and the ratios to plain of the whole transaction and of its writes plus commit (issue target:
/// at most 1.2x). <c>--no-tier2</c> runs without Tier-2. Markdown on stdout.
/// </summary>
internal static class TransactionRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        int events = 1000, eventBytes = 1024, rounds = 40;
        int[] segmentCounts = [1, 4];
        bool tier2 = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--events" when i + 1 < args.Length: events = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--event-bytes" when i + 1 < args.Length: eventBytes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-tier2": tier2 = false; break;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--segments" when i + 1 < args.Length:
                    segmentCounts = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        Console.WriteLine($"{events:N0} events of {eventBytes} B per round, {rounds} rounds after 5 warm-up rounds, plain and transaction rounds interleaved, Tier-2 {(tier2 ? "on" : "off")}; ms");
        Console.WriteLine();
        Console.WriteLine("| segments | plain p50 | plain p90 | txn p50 | txn p90 | begin p50 | writes p50 | commit p50 | txn / plain (p50) | (writes + commit) / plain (p50) | commit without awaiting writes: p50, / plain |");
        Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (int segments in segmentCounts)
        {
            string root = Path.Combine(parent, "pravega-txn-" + Guid.NewGuid().ToString("N"));
            try
            {
                await RunStreamAsync(root, segments, events, eventBytes, rounds, tier2);
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
        return 0;
    }

    private static async Task RunStreamAsync(string root, int segments, int events, int eventBytes, int rounds, bool tier2)
    {
        var options = StreamStoreOptions.InDirectory(root);
        await using var store = await StreamStore.OpenAsync(tier2 ? options : options with { Tier2Directory = null });
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) });
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Bytes);
        await using var transactional = store.CreateTransactionalWriter("s", "t", Serializers.Bytes);
        var payload = new byte[eventBytes];
        string[] keys = [.. Enumerable.Range(0, 64).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture))];
        var writes = new Task[events];
        List<double> plainMs = [], txnMs = [], beginMs = [], writeMs = [], commitMs = [], costMs = [], unawaitedMs = [];
        for (int round = -5; round < rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < events; i++) writes[i] = plain.WriteEventAsync(keys[i % keys.Length], payload);
            await Task.WhenAll(writes);
            double p = watch.Elapsed.TotalMilliseconds;

            watch.Restart();
            var txn = await transactional.BeginTransactionAsync();
            double begun = watch.Elapsed.TotalMilliseconds;
            for (int i = 0; i < events; i++) writes[i] = txn.WriteEventAsync(keys[i % keys.Length], payload);
            await Task.WhenAll(writes);
            double written = watch.Elapsed.TotalMilliseconds;
            await txn.CommitAsync();
            double committed = watch.Elapsed.TotalMilliseconds;

            // As a Pravega client writes a transaction: writes not awaited one by one, the commit right after them (it
            // waits for them to be appended; its record, durable, makes them durable too).
            watch.Restart();
            var direct = await transactional.BeginTransactionAsync();
            for (int i = 0; i < events; i++) writes[i] = direct.WriteEventAsync(keys[i % keys.Length], payload);
            await direct.CommitAsync();
            await Task.WhenAll(writes);
            double directMs = watch.Elapsed.TotalMilliseconds;
            if (round < 0) continue;
            unawaitedMs.Add(directMs);
            plainMs.Add(p);
            txnMs.Add(committed);
            beginMs.Add(begun);
            writeMs.Add(written - begun);
            commitMs.Add(committed - written);
            costMs.Add(committed - begun);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {segments} | {Q(plainMs, 0.5):F2} | {Q(plainMs, 0.9):F2} | {Q(txnMs, 0.5):F2} | {Q(txnMs, 0.9):F2} | {Q(beginMs, 0.5):F2} | {Q(writeMs, 0.5):F2} | {Q(commitMs, 0.5):F2} | {Q(txnMs, 0.5) / Q(plainMs, 0.5):F2}x | {Q(costMs, 0.5) / Q(plainMs, 0.5):F2}x | {Q(unawaitedMs, 0.5):F2}, {Q(unawaitedMs, 0.5) / Q(plainMs, 0.5):F2}x |"));
    }

    private static double Q(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }
}
