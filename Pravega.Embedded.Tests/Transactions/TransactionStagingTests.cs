using System.Globalization;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tests.Integration;
using Pravega.Embedded.Tests.Simulation;
using Xunit;

namespace Pravega.Embedded.Tests.Transactions;

/// <summary>
/// Transaction staging (docs/DESIGN.md, "Transactions"): a transaction open while the WAL moves past its bound has its
/// oldest events moved into Tier-2; its commit writes them to the WAL again and places them with the rest, whole, in
/// write order and contiguous per segment; the staging goes with the transaction's end; a reopen keeps it, also when
/// staged events are still in WAL files a checkpoint covers; a damaged or missing staging refuses, never loses silently.
/// </summary>
public sealed class TransactionStagingTests : IDisposable
{
    private const int WalFile = 64 << 10;
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Tier2 => Path.Combine(_dir.Root, "tier2");

    private StreamStoreOptions Options => _dir.Options(WalFile) with
    {
        Tier2Directory = Tier2,
        Tier1MaxBytes = 256 << 10,
        Tier2ChunkSize = 128 << 10,
    };

    private string StagingOf(Guid id) => Path.Combine(Tier2, "_transactions", id.ToString("N"));

    private static string Event(Guid id, int i, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{id:N}:{i}:{count}:") + new string('x', 900);

    /// <summary>Writes a transaction's events ten at a time, with enough plain writes between to fill a few WAL files.</summary>
    private static async Task WriteLongAsync(StreamStore store, ITransaction<string> txn, int count, string tag)
    {
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Utf8);
        for (int i = 0; i < count; i += 10)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(10, count - i)).Select(j => txn.WriteEventAsync("k" + (j % 7), Event(txn.TransactionId, j, count))));
            await Task.WhenAll(Enumerable.Range(0, 40).Select(j => plain.WriteEventAsync("k" + (j % 7), $"p{tag}-{i}-{j}:" + new string('y', 2000))));
        }
    }

    private static TransactionState Internal(StreamStore store, Guid id)
    {
        lock (store.Runtime.Container.Lock)
        {
            Assert.True(store.Runtime.Container.TryGetTransaction(id, out var state));
            return state;
        }
    }

    private static int StagedCount(StreamStore store, Guid id)
    {
        var state = Internal(store, id);
        lock (store.Runtime.Container.Lock) return state.StagedCount;
    }

    /// <summary>
    /// A stream of <paramref name="segments"/> segments and a transaction of <paramref name="events"/> events on it, written
    /// long enough for the tierer to stage some of them: the transaction, and how many are staged.
    /// </summary>
    private static async Task<(ITransaction<string> Txn, int Staged)> StagedTransactionAsync(StreamStore store, int segments, int events)
    {
        await store.CreateStreamAsync("s", "t", segments);
        var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
        await WriteLongAsync(store, txn, events, "a");
        return (txn, await WhenStagedAsync(store, txn.TransactionId));
    }

    /// <summary>Waits until the tierer staged some of the transaction's events (it runs in the background).</summary>
    private static async Task<int> WhenStagedAsync(StreamStore store, Guid id)
    {
        for (int attempt = 0; attempt < 400 && StagedCount(store, id) == 0; attempt++) await Task.Delay(25);
        int staged = StagedCount(store, id);
        Assert.True(staged > 0, "the tierer never staged the open transaction's events");
        return staged;
    }

    /// <summary>Waits until the transaction's staging directory is gone (the tierer deletes it once the end is durable).</summary>
    private async Task StagingGoneAsync(Guid id, string what)
    {
        for (int attempt = 0; attempt < 400 && Directory.Exists(StagingOf(id)); attempt++) await Task.Delay(25);
        Assert.False(Directory.Exists(StagingOf(id)), $"the {what} transaction's staging stayed in Tier-2");
    }

    private static Task<Dictionary<string, int>> VisibleAsync(StreamStore store) =>
        VisibleTransactions.ReadAsync(store, "s", "t", e => e.StartsWith('p'), "staging");

    [Fact]
    public async Task A_staged_transaction_commits_whole_in_write_order_and_its_staging_goes()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        var (txn, staged) = await StagedTransactionAsync(store, segments: 2, events: 200);
        Assert.NotEmpty(Directory.GetFiles(StagingOf(txn.TransactionId)));
        Assert.Empty(await VisibleAsync(store)); // staged or not, invisible until the commit

        // Begun before a scale: the commit routes every event, staged ones too, over the successors.
        var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
        await store.Streams.ScaleStreamAsync("s", "t", [active[0].SegmentId], [new KeyRange(0, 0.25), new KeyRange(0.25, 0.5)]);
        await txn.CommitAsync();

        Assert.Equal(TransactionStatus.Committed, await txn.CheckStatusAsync());
        var visible = await VisibleAsync(store); // whole, contiguous per segment, in write order, each event once
        Assert.Equal(200, visible[txn.TransactionId.ToString("N")]);
        Assert.True(staged < 200);
        await StagingGoneAsync(txn.TransactionId, "committed");
        await txn.CommitAsync(); // idempotent
        Assert.Equal(200, (await VisibleAsync(store))[txn.TransactionId.ToString("N")]);
    }

    [Fact]
    public async Task A_staged_transaction_survives_reopens_and_commits_after_them()
    {
        Guid id;
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.CreateStreamAsync("s", "t", segments: 3);
            await store.Streams.CreateStreamAsync("s", "bytes", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });
            // A byte stream's unflushed bytes keep their WAL file (a flush unit is not staged): the checkpoints then cover
            // WAL files that still hold staged events, and a reopen must not take those for the transaction's WAL events.
            var bytes = store.CreateByteStreamWriter("s", "bytes");
            await bytes.WriteAsync(new byte[(1 << 20) + 1000]); // more than the writer buffers: in the WAL, in its open unit
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
            id = txn.TransactionId;
            await WriteLongAsync(store, txn, 150, "a");
            await WhenStagedAsync(store, id);
            await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id);
            Assert.Equal(TransactionStatus.Open, await txn.CheckStatusAsync());
            Assert.True(StagedCount(store, id) > 0);
            await WriteLongAsync(store, txn, 0, "b"); // nothing more of it, but the log moves on
            await using var plain = store.CreateEventWriter("s", "t", Serializers.Utf8);
            await plain.WriteEventAsync("k", "pafter");
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id);
            Assert.Empty(await VisibleAsync(store));
            await txn.CommitAsync();
            Assert.Equal(150, (await VisibleAsync(store))[id.ToString("N")]);
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            Assert.Equal(150, (await VisibleAsync(store))[id.ToString("N")]);
            Assert.Equal(TransactionStatus.Committed, await (await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id)).CheckStatusAsync());
        }
    }

    [Fact]
    public async Task Aborting_a_staged_transaction_removes_its_staging_and_shows_nothing()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        var (txn, _) = await StagedTransactionAsync(store, segments: 1, events: 120);
        await txn.AbortAsync();
        await StagingGoneAsync(txn.TransactionId, "aborted");
        Assert.Empty(await VisibleAsync(store));
        await Assert.ThrowsAsync<TransactionFailedException>(() => txn.CommitAsync());
    }

    [Fact]
    public async Task A_damaged_staging_refuses_the_commit_and_shows_nothing()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        var (txn, _) = await StagedTransactionAsync(store, segments: 2, events: 100);
        string chunk = Directory.GetFiles(StagingOf(txn.TransactionId)).Order(StringComparer.Ordinal).First();
        await using (var file = new FileStream(chunk, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 100;
            int b = file.ReadByte();
            file.Position = 100;
            file.WriteByte((byte)(b ^ 0x40));
        }
        await Assert.ThrowsAsync<StorageCorruptedException>(() => txn.CommitAsync());
        Assert.Empty(await VisibleAsync(store));
        Assert.Equal(TransactionStatus.Open, await txn.CheckStatusAsync());
    }

    [Fact]
    public async Task A_missing_staging_refuses_the_open_and_an_unrecorded_one_is_swept()
    {
        Guid id;
        string stray = Path.Combine(StagingOf(Guid.NewGuid()), "0000000000-" + Guid.NewGuid().ToString("N") + ".chunk");
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            id = (await StagedTransactionAsync(store, segments: 2, events: 100)).Txn.TransactionId;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        await File.WriteAllBytesAsync(stray, new byte[100]); // a stage pass's chunk that no record names (a crash before it)
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.Runtime.Container.Tierer!.Ready;
            Assert.False(File.Exists(stray), "the unrecorded staging chunk was not swept");
            Assert.NotEmpty(Directory.GetFiles(StagingOf(id))); // the open transaction's staging stays
        }
        string moved = Path.Combine(_dir.Root, "moved");
        Directory.Move(StagingOf(id), moved);
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var store = await StreamStore.OpenAsync(Options);
            await store.Runtime.Container.Tierer!.Ready;
        });
        Assert.IsType<StorageCorruptedException>(e is AggregateException a ? a.InnerException : e);
        Directory.Move(moved, StagingOf(id)); // put back: nothing was erased, the store opens and commits
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await (await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id)).CommitAsync();
            Assert.Equal(100, (await VisibleAsync(store))[id.ToString("N")]);
        }
    }

    /// <summary>
    /// Segment tiering fails (its chunks' syncs fail) while staging works: the WAL keeps the files that still hold the
    /// staged events, a checkpoint after the commit covers them, and the reopen must place the relogged events, not those.
    /// </summary>
    [Fact]
    public async Task A_committed_staged_transaction_replays_right_from_a_checkpoint_that_covers_its_staged_events()
    {
        var device = new SimulatedDevice(new Random(5));
        device.FailFlush(path => path.Contains("/tier2/s/", StringComparison.Ordinal), times: int.MaxValue);
        var options = new StreamStoreOptions
        {
            Tier1Directories = ["/st/tier1-0", "/st/tier1-1", "/st/tier1-2"],
            Tier2Directory = "/st/tier2",
            Tier1MaxBytes = 256 << 10,
            Tier2ChunkSize = 128 << 10,
            WalFileSize = WalFile,
            RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        };
        Guid id;
        await using (var store = await StreamStore.OpenAsync(options with { Device = new SimulatedProcess(device) }))
        {
            var (txn, _) = await StagedTransactionAsync(store, segments: 2, events: 120);
            id = txn.TransactionId;
            await txn.CommitAsync();
            Assert.Equal(120, (await VisibleAsync(store))[id.ToString("N")]);
        }
        device.ClearFaults();
        await using (var store = await StreamStore.OpenAsync(options with { Device = new SimulatedProcess(device) }))
            Assert.Equal(120, (await VisibleAsync(store))[id.ToString("N")]);
    }
}
