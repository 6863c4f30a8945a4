using System.Globalization;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Transactions;

/// <summary>
/// Transactions and the WAL's lifecycle: an open transaction keeps the files its events are in across checkpoints and a
/// reopen; a committed one's entries point into older files, which stay while those bytes are live and untiered, and go
/// once they are truncated or in Tier-2; an aborted one's space is freed; replay from a checkpoint whose first live byte
/// lies inside a committed transaction's range.
/// </summary>
public sealed class TransactionStorageTests : IDisposable
{
    private const int WalFile = 256 << 10;
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StreamStoreOptions Options(bool tier2) => _dir.Options(WalFile) with
    {
        Tier2Directory = tier2 ? Path.Combine(_dir.Root, "tier2") : null,
        Tier1MaxBytes = 1 << 20,
        Tier2ChunkSize = 512 << 10,
    };

    private long WalBytes => DiskUsage.Bytes(Options(false).Tier1Directories[0], "wal-*");

    private static string Event(string tag, int i) => tag + ":" + i.ToString("D6", CultureInfo.InvariantCulture) + ":" + new string('x', 1000);

    private static async Task PlainAsync(StreamStore store, string tag, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++) pending.Add(writer.WriteEventAsync("k" + (i % 5), Event(tag, i)));
        await Task.WhenAll(pending);
    }

    private static async Task TxnAsync(ITransaction<string> txn, string tag, int from, int count)
    {
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++) pending.Add(txn.WriteEventAsync("k" + (i % 5), Event(tag, i)));
        await Task.WhenAll(pending);
    }

    private static Pravega.Embedded.SegmentStore.TransactionState Internal(StreamStore store, Guid id)
    {
        lock (store.Runtime.Container.Lock)
        {
            Assert.True(store.Runtime.Container.TryGetTransaction(id, out var state));
            return state;
        }
    }

    private static async Task TruncateAtTailAsync(StreamStore store)
    {
        var tail = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await store.Streams.TruncateStreamAsync("s", "t", tail);
        await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_open_transaction_keeps_its_WAL_files_through_truncation_and_checkpoints_and_commits_after_reopen(bool fromCheckpoint)
    {
        Guid id;
        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
            id = txn.TransactionId;
            for (int round = 0; round < 4; round++)
            {
                await TxnAsync(txn, "txn", round * 200, 200);
                await PlainAsync(store, "plain", round * 300, 300);
            }
            await TruncateAtTailAsync(store); // every plain byte is gone; only the transaction needs the old files
            Assert.Empty(await store.ReadSegmentsAsync("s", "t"));
            Assert.True(WalBytes > 800 * 1000, $"the WAL kept {WalBytes} bytes; the open transaction's 800 kB are in it");
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();

        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id);
            await txn.CommitAsync();
            var read = await store.ReadSegmentsAsync("s", "t");
            Assert.Equal(Enumerable.Range(0, 800).Select(i => Event("txn", i)).Order(StringComparer.Ordinal), read);

            // Truncated too, the transaction's files can go.
            await TruncateAtTailAsync(store);
            await PlainAsync(store, "plain", 10_000, 300); // new files, and a checkpoint at each
            await TruncateAtTailAsync(store);
            Assert.True(WalBytes <= 1 << 20, $"the WAL kept {WalBytes} bytes after everything was truncated"); // recycled spares included
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_committed_transaction_keeps_its_older_WAL_files_while_its_bytes_are_live(bool fromCheckpoint)
    {
        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
            await TxnAsync(txn, "txn", 0, 300); // the log's first files
            await PlainAsync(store, "first", 0, 10);
            await txn.CommitAsync(); // placed after "first", its records older than "first"'s
            await PlainAsync(store, "later", 0, 900); // new files, a checkpoint at each
            await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
            Assert.Equal(1210, (await store.ReadSegmentsAsync("s", "t")).Count);
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();
        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            var events = (await store.ReadEachSegmentAsync("s", "t")).SelectMany(e => e).ToList();
            Assert.Equal(Enumerable.Range(0, 300).Select(i => Event("txn", i)), events.Skip(10).Take(300));
            Assert.Equal(1210, events.Count);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Truncating_inside_a_committed_transaction_leaves_its_rest_readable_after_reopen(bool fromCheckpoint)
    {
        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await PlainAsync(store, "before", 0, 100);
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
            for (int round = 0; round < 3; round++)
            {
                await TxnAsync(txn, "txn", round * 100, 100);
                await PlainAsync(store, "during", round * 100, 100); // plain records between the transaction's
            }
            await txn.CommitAsync();
            await PlainAsync(store, "after", 0, 100);

            // A cut at the transaction's 150th event: its first live byte is inside the commit's range.
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            EventRead<string> e;
            do e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));
            while (e.Event != Event("txn", 150));
            long segment = (await store.Streams.GetActiveSegmentsAsync("s", "t")).Single().SegmentId;
            await store.Streams.TruncateStreamAsync("s", "t", new StreamCut("s", "t", new Dictionary<long, long> { [segment] = e.EventPointer!.Offset }));
            await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();

        await using (var store = await StreamStore.OpenAsync(Options(tier2: false)))
        {
            // In segment order: the plain writes made during the transaction, then its events (placed at the commit), then
            // those after; truncated at its 150th.
            var events = (await store.ReadEachSegmentAsync("s", "t")).SelectMany(e => e).ToList();
            Assert.Equal(Enumerable.Range(150, 150).Select(i => Event("txn", i)).Concat(Enumerable.Range(0, 100).Select(i => Event("after", i))), events);
        }
    }

    [Fact]
    public async Task Committed_transactions_are_tiered_like_other_data_and_read_back_after_reopen()
    {
        var expected = new List<string>();
        await using (var store = await StreamStore.OpenAsync(Options(tier2: true)))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            var writer = store.CreateTransactionalWriter("s", "t", Serializers.Utf8);
            for (int t = 0; t < 6; t++)
            {
                var txn = await writer.BeginTransactionAsync();
                await TxnAsync(txn, "txn" + t, 0, 400);
                await PlainAsync(store, "plain" + t, 0, 100);
                await txn.CommitAsync();
                expected.AddRange(Enumerable.Range(0, 400).Select(i => Event("txn" + t, i)));
                expected.AddRange(Enumerable.Range(0, 100).Select(i => Event("plain" + t, i)));
            }
            var container = store.Runtime.Container;
            for (int attempt = 0; attempt < 600 && WalBytes > (1 << 20) + WalFile; attempt++) await Task.Delay(50);
            Assert.True(WalBytes <= (1 << 20) + WalFile, $"the WAL kept {WalBytes} bytes: committed transactions were not tiered");
            lock (container.Lock) Assert.Contains(container.AllSegments, s => s.TieredLength > 0);
        }
        await using (var store = await StreamStore.OpenAsync(Options(tier2: true)))
        {
            Assert.Equal(expected.Order(StringComparer.Ordinal), await store.ReadSegmentsAsync("s", "t"));
        }
    }

    [Fact]
    public async Task An_aborted_transaction_frees_its_WAL_space_and_index_at_once()
    {
        await using var store = await StreamStore.OpenAsync(Options(tier2: false));
        await store.CreateStreamAsync("s", "t", segments: 1);
        var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
        await TxnAsync(txn, "aborted", 0, 1500); // 1.5 MB: six files
        Assert.True(WalBytes > 1500 * 1000);
        var state = Internal(store, txn.TransactionId);
        Assert.Equal(1500, state.Entries.Count);
        await txn.AbortAsync();
        Assert.Empty(state.Entries);
        Assert.Equal(0, store.Runtime.Container.IndexedEvents);
        await PlainAsync(store, "plain", 0, 300); // the log moves on to new files
        await TruncateAtTailAsync(store);
        Assert.True(WalBytes <= 1 << 20, $"the WAL kept {WalBytes} bytes of an aborted transaction"); // recycled spares included
        Assert.Empty(await store.ReadSegmentsAsync("s", "t"));
    }

    [Fact]
    public async Task A_long_open_transaction_is_tiered_so_the_mirrors_stay_within_the_bound()
    {
        Guid id;
        await using (var store = await StreamStore.OpenAsync(Options(tier2: true)))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            var txn = await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).BeginTransactionAsync();
            id = txn.TransactionId;
            for (int round = 0; round < 8; round++)
            {
                await TxnAsync(txn, "txn", round * 500, 500); // 4 MB in all: four times the Tier-1 bound
                await PlainAsync(store, "plain", round * 100, 100);
            }
            for (int attempt = 0; attempt < 200 && WalBytes > (1 << 20) + WalFile; attempt++) await Task.Delay(50);
            Assert.True(WalBytes <= (1 << 20) + WalFile, $"the WAL keeps {WalBytes} bytes: the open transaction's events were not tiered");
        }
        await using (var store = await StreamStore.OpenAsync(Options(tier2: true)))
        {
            await (await store.CreateTransactionalWriter("s", "t", Serializers.Utf8).GetTransactionAsync(id)).CommitAsync();
            var read = await store.ReadSegmentsAsync("s", "t");
            Assert.Equal(4000 + 800, read.Count);
        }
    }
}
