using System.Collections.Concurrent;
using Pravega.Embedded.Tests.Transactions;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Transactions against a power failure or crash at a seeded device change (the simulated device drops what was not
/// synced): concurrent transactions begin, write, commit, abort or stay open beside plain writes and scales, with small WAL
/// files and Tier-2, so checkpoints, file drops and tiering run too. After the reopen every transaction is wholly
/// visible or wholly absent and contiguous per segment; committed ones (commit returned) are visible and Committed,
/// aborted ones never; a commit under way is all or nothing and committing it again completes it once; every
/// acknowledged plain event is there.
/// </summary>
public sealed class TransactionPowerLossTests
{
    private static readonly string[] Mirrors = ["/tx/tier1-0", "/tx/tier1-1", "/tx/tier1-2"];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 24)];

    private enum Said { Begun, Written, Committing, Committed, Aborting, Aborted }

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = "/tx/tier2",
        Tier1MaxBytes = 4 * (64 << 10),
        Tier2ChunkSize = 128 << 10,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 64 << 10,
        Device = process,
    };

    public static TheoryData<int> LongSeeds => [.. Enumerable.Range(1, 16)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task Every_transaction_is_all_or_nothing_after_a_failure_at_any_device_change(int seed) => RunAsync(seed, staged: false);

    /// <summary>
    /// The same with long transactions in two of the loops: written in parts with plain writes between, so that they
    /// outlive the WAL's bound and the tierer stages their oldest events in Tier-2 while they are open; their commits
    /// write them to the WAL again. The failure comes later, among stage passes, relogs and commits.
    /// </summary>
    [Theory]
    [MemberData(nameof(LongSeeds))]
    public Task Staged_transactions_are_all_or_nothing_after_a_failure_at_any_device_change(int seed) => RunAsync(seed, staged: true);

    private static async Task RunAsync(int seed, bool staged)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 7));
        var process = new SimulatedProcess(device);
        var said = new ConcurrentDictionary<Guid, (Said Said, int Count)>();
        var acked = new ConcurrentBag<string>();
        var store = await StreamStore.OpenAsync(Options(process));
        try
        {
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
            if (staged) SimulatedFailure.Arm(device, process, rng, 3000, 20000);
            else SimulatedFailure.Arm(device, process, rng, 50, 4000);
            var writer = store.CreateTransactionalWriter("s", "t", Serializers.Utf8);
            var loops = Enumerable.Range(0, 3).Select(loop => RunLoopAsync(store, writer, new Random(seed * 13 + loop), loop, staged && loop < 2, said, acked));
            await Task.WhenAll(loops);
        }
        finally
        {
            device.Mutated = null;
            try
            {
                await store.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }

        await using var reopened = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        var visible = await VisibleAsync(reopened, seed);
        var again = reopened.CreateTransactionalWriter("s", "t", Serializers.Utf8);
        foreach (var (id, (what, count)) in said)
        {
            int seen = visible.GetValueOrDefault(id.ToString("N"));
            TransactionStatus? status = null;
            try
            {
                status = await (await again.GetTransactionAsync(id)).CheckStatusAsync();
            }
            catch (TransactionFailedException) when (what == Said.Begun)
            {
                // its begin was not durable when the process died (BeginTransactionAsync had not returned)
            }
            bool ok = what switch
            {
                Said.Committed => status == TransactionStatus.Committed && seen == count,
                Said.Committing => (status == TransactionStatus.Committed && seen == count) || (status == TransactionStatus.Open && seen == 0),
                Said.Aborted => status == TransactionStatus.Aborted && seen == 0,
                Said.Written => status == TransactionStatus.Open && seen == 0,
                _ => status is null or TransactionStatus.Open or TransactionStatus.Aborted && seen == 0,
            };
            Assert.True(ok, $"seed {seed}: transaction {id:N} ({what}, {count} events) is {status?.ToString() ?? "unknown"} with {seen} visible");
            if (what == Said.Written && status == TransactionStatus.Open)
            {
                // Open with all its events (some maybe staged in Tier-2): a commit now shows every one.
                await (await again.GetTransactionAsync(id)).CommitAsync();
                said[id] = (Said.Committed, count);
            }
            else if (what == Said.Committing)
            {
                await (await again.GetTransactionAsync(id)).CommitAsync(); // again, if it got through: completes, nothing doubles
                said[id] = (Said.Committed, count);
            }
        }
        visible = await VisibleAsync(reopened, seed);
        foreach (var (id, (what, count)) in said)
            if (what == Said.Committed) Assert.Equal(count, visible.GetValueOrDefault(id.ToString("N")));
        Assert.Equal(said.Count(p => p.Value.Said == Said.Committed), visible.Count);
        var plain = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var range in reopened.Batch.ListSegmentsAsync("s", "t"))
            await foreach (var e in reopened.Batch.ReadSegmentAsync(range, Serializers.Utf8))
                if (e.StartsWith('p')) Assert.True(plain.Add(e), $"seed {seed}: {e} read twice");
        Assert.All(acked, e => Assert.Contains(e, plain));
    }

    /// <summary>
    /// Transactions one after another (with a plain write and sometimes a scale between), until the process dies. Long ones
    /// have many events, written ten at a time with plain writes of a few WAL files between.
    /// </summary>
    private static async Task RunLoopAsync(StreamStore store, ITransactionalEventStreamWriter<string> writer, Random random, int loop, bool longOnes,
                                           ConcurrentDictionary<Guid, (Said, int)> said, ConcurrentBag<string> acked)
    {
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Utf8);
        try
        {
            for (int t = 0; t < 200; t++)
            {
                var txn = await writer.BeginTransactionAsync();
                int count = longOnes ? random.Next(40, 160) : random.Next(1, 25);
                said[txn.TransactionId] = (Said.Begun, count);
                var writes = new List<Task>();
                for (int i = 0; i < count; i++)
                {
                    writes.Add(txn.WriteEventAsync("k" + (i % 5), $"{txn.TransactionId:N}:{i}:{count}:" + new string('x', random.Next(10, 1500))));
                    if (!longOnes || i % 10 != 9) continue;
                    for (int j = 0; j < 20; j++)
                    {
                        string filler = $"p{loop}-{t}-{i}-{j}:" + new string('y', 4000);
                        await plain.WriteEventAsync("k" + (j % 5), filler);
                        acked.Add(filler);
                    }
                }
                await Task.WhenAll(writes);
                said[txn.TransactionId] = (Said.Written, count); // every event durable in it
                string p = $"p{loop}-{t}";
                await plain.WriteEventAsync("k" + (t % 5), p);
                acked.Add(p);
                if (loop == 0 && random.Next(6) == 0) await ScaleAsync(store, random);
                switch (random.Next(10))
                {
                    case < 6:
                        said[txn.TransactionId] = (Said.Committing, count);
                        await txn.CommitAsync();
                        said[txn.TransactionId] = (Said.Committed, count);
                        break;
                    case < 9:
                        said[txn.TransactionId] = (Said.Aborting, count);
                        await txn.AbortAsync();
                        said[txn.TransactionId] = (Said.Aborted, count);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException)
        {
            // the process died
        }
    }

    private static async Task ScaleAsync(StreamStore store, Random random)
    {
        var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
        if (active.Count < 4)
        {
            var s = active[random.Next(active.Count)];
            double middle = (s.KeyRange.Low + s.KeyRange.High) / 2;
            await store.Streams.ScaleStreamAsync("s", "t", [s.SegmentId], [new KeyRange(s.KeyRange.Low, middle), new KeyRange(middle, s.KeyRange.High)]);
        }
        else
        {
            int i = random.Next(active.Count - 1);
            await store.Streams.ScaleStreamAsync("s", "t", [active[i].SegmentId, active[i + 1].SegmentId], [new KeyRange(active[i].KeyRange.Low, active[i + 1].KeyRange.High)]);
        }
    }

    private static Task<Dictionary<string, int>> VisibleAsync(StreamStore store, int seed) =>
        VisibleTransactions.ReadAsync(store, "s", "t", e => e.StartsWith('p'), $"seed {seed}");
}
