using System.Globalization;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The child side of the transaction crash test: runs <see cref="Concurrency"/> loops that each begin a transaction,
/// write 1..<see cref="MaxEvents"/> events into it (each <c>id:index:count</c>, keyed by index), then commit or abort it,
/// while plain events and hand-made scales go on beside them, until it is killed. Output (one write per line, as
/// <see cref="CrashWriter"/>): <c>BEGUN id</c> once the begin is durable, <c>COMMITTING id count</c> before the commit call,
/// <c>COMMITTED id</c> after it returned, <c>ABORTING id</c> and <c>ABORTED id</c> likewise; <c>SCALED e</c> lines too.
/// The first <see cref="LongLoops"/> loops write long transactions (hundreds of padded events, slowly): they outlive the
/// WAL's bound, so the tierer stages their oldest events in Tier-2 while they are open, and their commits relog them.
/// </summary>
internal static class CrashTransactionWriter
{
    public const string Command = "crash-transactions";
    public const string Stream = "txns";
    public const int Concurrency = 8;
    public const int MaxEvents = 60;
    public const int Keys = 7;
    public const int LongLoops = 2;

    public static string Key(int index) => "k" + (index % Keys).ToString(CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(string root)
    {
        await using var store = await StreamStore.OpenAsync(CrashWriter.Options(root, walFileSize: 256 << 10));
        await store.Streams.CreateScopeAsync(CrashWriter.Scope);
        await store.Streams.CreateStreamAsync(CrashWriter.Scope, Stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(3) });
        using var stop = new CancellationTokenSource();
        var scaling = Task.Run(() => CrashWriter.ScaleByHandAsync(store, stop.Token, Stream));
        var plain = Task.Run(async () =>
        {
            await using var writer = store.CreateEventWriter(CrashWriter.Scope, Stream, Serializers.Utf8);
            for (int n = 0; !stop.IsCancellationRequested; n++) await writer.WriteEventAsync(Key(n), "plain:" + n.ToString(CultureInfo.InvariantCulture));
        });
        await using var transactional = store.CreateTransactionalWriter(CrashWriter.Scope, Stream, Serializers.Utf8,
                                                                         new EventWriterOptions { TransactionTimeout = TimeSpan.FromMinutes(10) });
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(loop => Task.Run(async () =>
        {
            var random = new Random();
            while (true)
            {
                var txn = await transactional.BeginTransactionAsync();
                CrashWriter.Print($"BEGUN {txn.TransactionId:N}");
                bool isLong = loop < LongLoops;
                int count = isLong ? random.Next(200, 800) : random.Next(1, MaxEvents + 1);
                string padding = isLong ? ":" + new string('x', 1000) : "";
                var writes = new List<Task>();
                for (int i = 0; i < count; i++)
                {
                    writes.Add(txn.WriteEventAsync(Key(i), $"{txn.TransactionId:N}:{i}:{count}{padding}"));
                    if (isLong && i % 50 == 49) await Task.Delay(40);
                    else if (random.Next(8) == 0) await Task.Yield();
                }
                await Task.WhenAll(writes);
                if (random.Next(4) == 0)
                {
                    CrashWriter.Print($"ABORTING {txn.TransactionId:N}");
                    await txn.AbortAsync();
                    CrashWriter.Print($"ABORTED {txn.TransactionId:N}");
                }
                else if (random.Next(10) > 0) // a few stay open: the parent finds them by id
                {
                    CrashWriter.Print($"COMMITTING {txn.TransactionId:N} {count}");
                    await txn.CommitAsync();
                    CrashWriter.Print($"COMMITTED {txn.TransactionId:N}");
                }
            }
        })));
        await stop.CancelAsync();
        await Task.WhenAll(scaling, plain);
        return 0;
    }
}
