using System.Diagnostics;
using System.Globalization;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Transactions against plain writes, in one store, rounds interleaved (the machine is noisy): a round writes
/// <c>--events</c> events of <c>--event-bytes</c> through a plain writer (all in flight, then awaited), and the same
/// through one transaction (begin, all writes in flight and awaited, commit), and through one more transaction written as
/// a Pravega client writes one (begin, writes not awaited, commit at once). Reports the medians and p90 of each, the
/// transaction's parts, and the ratios to plain of the whole transaction and of its writes plus commit (issue target:
/// at most 1.2x). <c>--no-tier2</c> runs without Tier-2. <c>--staged</c> measures instead the commit of a transaction whose
/// events the tierer staged in Tier-2 while it was open (its commit writes them to the WAL again) against the commit of
/// the same transaction unstaged and against plain writes of its events, with small WAL files so that staging comes
/// soon. Markdown on stdout.
/// </summary>
internal static class TransactionRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        int events = 1000, eventBytes = 1024, rounds = 40;
        int[] segmentCounts = [1, 4];
        bool tier2 = true, staged = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--events" when i + 1 < args.Length: events = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--event-bytes" when i + 1 < args.Length: eventBytes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-tier2": tier2 = false; break;
                case "--staged": staged = true; break;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--segments" when i + 1 < args.Length:
                    segmentCounts = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        if (staged) return await RunStagedAsync(parent, segmentCounts, events, eventBytes, Math.Min(rounds, 15));
        Console.WriteLine($"{events:N0} events of {eventBytes} B per round, {rounds} rounds after 5 warm-up rounds, plain and transaction rounds interleaved, Tier-2 {(tier2 ? "on" : "off")}; ms");
        Console.WriteLine();
        Console.WriteLine("| segments | plain p50 | plain p90 | txn p50 | txn p90 | begin p50 | writes p50 | commit p50 | txn / plain (p50) | (writes + commit) / plain (p50) | commit without awaiting writes: p50, / plain |");
        Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (int segments in segmentCounts) await InFreshRootAsync(parent, root => RunStreamAsync(root, segments, events, eventBytes, rounds, tier2));
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

    private static async Task<int> RunStagedAsync(string parent, int[] segmentCounts, int events, int eventBytes, int rounds)
    {
        Console.WriteLine($"{events:N0} events of {eventBytes} B per transaction, {rounds} rounds after 2 warm-up rounds; WAL files of 1 MiB, Tier1MaxBytes 8 MiB; ms");
        Console.WriteLine();
        Console.WriteLine("| segments | staged events (mean) | plain writes p50 | commit unstaged p50 | commit staged p50 | staged commit / plain writes | staged commit / unstaged commit |");
        Console.WriteLine("|--:|--:|--:|--:|--:|--:|--:|");
        foreach (int segments in segmentCounts) await InFreshRootAsync(parent, root => RunStagedStreamAsync(root, segments, events, eventBytes, rounds));
        return 0;
    }

    private static async Task RunStagedStreamAsync(string root, int segments, int events, int eventBytes, int rounds)
    {
        var options = StreamStoreOptions.InDirectory(root) with { WalFileSize = 1 << 20, Tier1MaxBytes = 8 << 20 };
        await using var store = await StreamStore.OpenAsync(options);
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) });
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Bytes);
        await using var transactional = store.CreateTransactionalWriter("s", "t", Serializers.Bytes, new EventWriterOptions { TransactionTimeout = TimeSpan.FromMinutes(5) });
        var payload = new byte[eventBytes];
        var filler = new byte[64 << 10];
        string[] keys = [.. Enumerable.Range(0, 64).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture))];
        var writes = new Task[events];
        List<double> plainMs = [], unstagedMs = [], stagedMs = [], stagedCounts = [];
        for (int round = -2; round < rounds; round++)
        {
            var txn = await transactional.BeginTransactionAsync();
            for (int i = 0; i < events; i++) writes[i] = txn.WriteEventAsync(keys[i % keys.Length], payload);
            await Task.WhenAll(writes);
            // The log moves on (16 MiB of other streams' writes) until the tierer staged the transaction's events.
            int stagedCount = 0;
            for (int n = 0; n < 256 || (stagedCount < events && n < 4096); n++)
            {
                await plain.WriteEventAsync("filler", filler);
                lock (store.Runtime.Container.Lock)
                    stagedCount = store.Runtime.Container.TryGetTransaction(txn.TransactionId, out var state) ? state.StagedCount : 0;
            }
            var watch = Stopwatch.StartNew();
            await txn.CommitAsync();
            double stagedCommit = watch.Elapsed.TotalMilliseconds;

            var other = await transactional.BeginTransactionAsync();
            for (int i = 0; i < events; i++) writes[i] = other.WriteEventAsync(keys[i % keys.Length], payload);
            await Task.WhenAll(writes);
            watch.Restart();
            await other.CommitAsync();
            double unstagedCommit = watch.Elapsed.TotalMilliseconds;

            watch.Restart();
            for (int i = 0; i < events; i++) writes[i] = plain.WriteEventAsync(keys[i % keys.Length], payload);
            await Task.WhenAll(writes);
            double p = watch.Elapsed.TotalMilliseconds;
            if (round < 0) continue;
            plainMs.Add(p);
            unstagedMs.Add(unstagedCommit);
            stagedMs.Add(stagedCommit);
            stagedCounts.Add(stagedCount);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {segments} | {stagedCounts.Average():F0} of {events} | {Q(plainMs, 0.5):F2} | {Q(unstagedMs, 0.5):F2} | {Q(stagedMs, 0.5):F2} | {Q(stagedMs, 0.5) / Q(plainMs, 0.5):F2}x | {Q(stagedMs, 0.5) / Q(unstagedMs, 0.5):F2}x |"));
    }

    /// <summary>Runs <paramref name="run"/> on a new store root under <paramref name="parent"/>, deleted afterwards.</summary>
    private static async Task InFreshRootAsync(string parent, Func<string, Task> run)
    {
        string root = Path.Combine(parent, "pravega-txn-" + Guid.NewGuid().ToString("N"));
        try
        {
            await run(root);
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

    private static double Q(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }
}
