using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Controller;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Transactions;

/// <summary>
/// Transactions through the public API: invisible until commit (to reader groups and the batch client), atomic and
/// contiguous per segment, idempotent commit, abort, status transitions, the timeout on a fake clock, reattaching by id
/// after a reopen (from a checkpoint and by replay), sealing, and many transactions at once.
/// </summary>
public sealed class TransactionTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private Task<StreamStore> OpenAsync(int walFileSize = 4 << 20, string? tier2 = "tier2") =>
        StreamStore.OpenAsync(_dir.Options(walFileSize) with
        {
            TimeProvider = _clock,
            Tier2Directory = tier2 is null ? null : Path.Combine(_dir.Root, tier2),
        });

    private static string Event(string key, int i) => key + ":" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static ITransactionalEventStreamWriter<string> Writer(StreamStore store, TimeSpan? timeout = null, string? writerId = null) =>
        store.CreateTransactionalWriter("s", "t", Serializers.Utf8, new EventWriterOptions { TransactionTimeout = timeout ?? TimeSpan.FromSeconds(30), WriterId = writerId });

    private static Task<List<List<string>>> SegmentsAsync(StreamStore store) => store.ReadEachSegmentAsync("s", "t");

    private static async Task WriteAllAsync(ITransaction<string> txn, string prefix, int count, int keys = 8)
    {
        var pending = new List<Task>();
        for (int i = 0; i < count; i++) pending.Add(txn.WriteEventAsync("k" + (i % keys), Event(prefix + (i % keys), i)));
        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task Events_are_invisible_to_readers_and_the_batch_client_until_commit_then_all_visible()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        await using var writer = Writer(store);

        var txn = await writer.BeginTransactionAsync();
        await WriteAllAsync(txn, "a", 50);
        await txn.FlushAsync();
        Assert.False((await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(200))).HasEvent);
        Assert.All(await SegmentsAsync(store), Assert.Empty);
        Assert.Equal(0, await store.TailLengthAsync("s", "t"));

        await txn.CommitAsync();
        Assert.Equal(TransactionStatus.Committed, await txn.CheckStatusAsync());
        var read = new List<string>();
        while (read.Count < 50)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));
            Assert.True(e.HasEvent);
            read.Add(e.Event!);
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Event("a" + (i % 8), i)).Order(), read.Order());
        Assert.Equal(50, (await SegmentsAsync(store)).Sum(s => s.Count));
    }

    [Fact]
    public async Task Commit_is_idempotent_and_abort_after_commit_fails()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = Writer(store);
        var txn = await writer.BeginTransactionAsync();
        await WriteAllAsync(txn, "a", 10);
        await txn.CommitAsync();
        await txn.CommitAsync();
        var again = await writer.GetTransactionAsync(txn.TransactionId);
        await again.CommitAsync();
        Assert.Equal(10, (await SegmentsAsync(store)).Single().Count);
        await Assert.ThrowsAsync<TransactionFailedException>(() => txn.AbortAsync());
        await Assert.ThrowsAsync<TransactionFailedException>(() => txn.WriteEventAsync("k", "late"));
        Assert.Equal(TransactionStatus.Committed, await again.CheckStatusAsync());
    }

    [Fact]
    public async Task An_aborted_transaction_never_becomes_visible_and_refuses_writes_and_commit()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await using var writer = Writer(store);
        var aborted = await writer.BeginTransactionAsync();
        await WriteAllAsync(aborted, "x", 20);
        await aborted.AbortAsync();
        await aborted.AbortAsync(); // again: completes
        Assert.Equal(TransactionStatus.Aborted, await aborted.CheckStatusAsync());
        await Assert.ThrowsAsync<TransactionFailedException>(() => aborted.WriteEventAsync("k", "late"));
        await Assert.ThrowsAsync<TransactionFailedException>(() => aborted.CommitAsync());
        await Assert.ThrowsAsync<TransactionFailedException>(() => aborted.FlushAsync());

        var committed = await writer.BeginTransactionAsync();
        await WriteAllAsync(committed, "c", 5);
        await committed.CommitAsync();
        var all = (await SegmentsAsync(store)).SelectMany(s => s).ToList();
        Assert.Equal(5, all.Count);
        Assert.DoesNotContain(all, e => e.StartsWith('x'));
    }

    [Fact]
    public async Task Status_goes_from_open_through_committing_or_aborting_while_the_record_is_not_durable()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = Writer(store);
        var toCommit = await writer.BeginTransactionAsync();
        var toAbort = await writer.BeginTransactionAsync();
        await toCommit.WriteEventAsync("k", "v");
        Assert.Equal(TransactionStatus.Open, await toCommit.CheckStatusAsync());

        Task commit, abort;
        using (var gate = new DurabilityGate(store))
        {
            commit = toCommit.CommitAsync();
            abort = toAbort.AbortAsync();
            Assert.Equal(TransactionStatus.Committing, await toCommit.CheckStatusAsync());
            Assert.Equal(TransactionStatus.Aborting, await toAbort.CheckStatusAsync());
            Assert.Empty((await SegmentsAsync(store)).Single()); // not visible before the commit is durable
            await Assert.ThrowsAsync<TransactionFailedException>(() => toCommit.WriteEventAsync("k", "late"));
            Assert.False(commit.IsCompleted);
            gate.Open();
        }
        await commit;
        await abort;
        Assert.Equal(TransactionStatus.Committed, await toCommit.CheckStatusAsync());
        Assert.Equal(TransactionStatus.Aborted, await toAbort.CheckStatusAsync());
    }

    [Fact]
    public async Task A_transaction_without_activity_for_its_timeout_is_aborted_on_the_store_clock()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Writer(store, TimeSpan.FromMilliseconds(999)));
        await using var writer = Writer(store, TimeSpan.FromSeconds(2));
        var txn = await writer.BeginTransactionAsync();
        var flushed = await writer.BeginTransactionAsync();
        var idle = await writer.BeginTransactionAsync();

        _clock.Advance(TimeSpan.FromSeconds(1.5));
        await txn.WriteEventAsync("k", "renews");
        await flushed.FlushAsync();
        _clock.Advance(TimeSpan.FromSeconds(1.5)); // idle: 3 s without activity; the others 1.5 s
        await store.Runtime.Container.Log.FlushAsync();
        Assert.Equal(TransactionStatus.Aborted, await idle.CheckStatusAsync());
        Assert.Equal(TransactionStatus.Open, await txn.CheckStatusAsync());
        Assert.Equal(TransactionStatus.Open, await flushed.CheckStatusAsync());

        _clock.Advance(TimeSpan.FromSeconds(0.6));
        await store.Runtime.Container.Log.FlushAsync();
        Assert.Equal(TransactionStatus.Aborted, await txn.CheckStatusAsync());
        var failed = await Assert.ThrowsAsync<TransactionFailedException>(() => txn.CommitAsync());
        Assert.Contains("timed out", failed.Message, StringComparison.Ordinal);
        Assert.Empty((await SegmentsAsync(store)).Single());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_open_transaction_is_found_by_id_after_reopen_with_its_events_and_a_fresh_timeout(bool fromCheckpoint)
    {
        Guid open, committed, aborted;
        await using (var store = await OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            await using var writer = Writer(store, TimeSpan.FromSeconds(10), writerId: "w1");
            var o = await writer.BeginTransactionAsync();
            await WriteAllAsync(o, "o", 30);
            var c = await writer.BeginTransactionAsync();
            await WriteAllAsync(c, "c", 7);
            await c.CommitAsync();
            var a = await writer.BeginTransactionAsync();
            await WriteAllAsync(a, "a", 3);
            await a.AbortAsync();
            (open, committed, aborted) = (o.TransactionId, c.TransactionId, a.TransactionId);
            _clock.Advance(TimeSpan.FromSeconds(9)); // almost timed out: the reopen gives it a full timeout again
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();

        await using (var store = await OpenAsync())
        {
            await using var writer = Writer(store);
            var o = await writer.GetTransactionAsync(open);
            Assert.Equal(TransactionStatus.Open, await o.CheckStatusAsync());
            Assert.Equal(TransactionStatus.Committed, await (await writer.GetTransactionAsync(committed)).CheckStatusAsync());
            Assert.Equal(TransactionStatus.Aborted, await (await writer.GetTransactionAsync(aborted)).CheckStatusAsync());
            await Assert.ThrowsAsync<TransactionFailedException>(() => writer.GetTransactionAsync(Guid.NewGuid()));

            _clock.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(TransactionStatus.Open, await o.CheckStatusAsync());
            await o.WriteEventAsync("k0", "o-after-reopen");
            await (await writer.GetTransactionAsync(committed)).CommitAsync(); // a retried commit: nothing doubles
            await o.CommitAsync();
            var all = (await SegmentsAsync(store)).SelectMany(s => s).ToList();
            Assert.Equal(30 + 7 + 1, all.Count);
            Assert.Equal(all.Count, all.Distinct().Count());
            Assert.DoesNotContain(all, e => e.StartsWith('a'));
        }

        await using (var store = await OpenAsync())
        {
            Assert.Equal(38, (await SegmentsAsync(store)).Sum(s => s.Count));
            await using var writer = Writer(store);
            Assert.Equal(TransactionStatus.Committed, await (await writer.GetTransactionAsync(open)).CheckStatusAsync());
        }
    }

    [Fact]
    public async Task Open_transactions_time_out_after_a_reopen_too()
    {
        Guid id;
        await using (var store = await OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            var txn = await Writer(store, TimeSpan.FromSeconds(5)).BeginTransactionAsync();
            await txn.WriteEventAsync("k", "v");
            id = txn.TransactionId;
        }
        await using (var store = await OpenAsync())
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            await store.Runtime.Container.Log.FlushAsync();
            var txn = await Writer(store).GetTransactionAsync(id);
            Assert.Equal(TransactionStatus.Aborted, await txn.CheckStatusAsync());
        }
    }

    [Fact]
    public async Task Committed_events_are_contiguous_per_segment_among_concurrent_plain_writes_and_keep_key_order()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 3);
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await using var writer = Writer(store);
        string[] keys = [.. Enumerable.Range(0, 12).Select(i => "k" + i)];

        // Before: a plain event per key; then transactions and plain writes race on the same keys; then one more plain per key.
        foreach (var k in keys) await plain.WriteEventAsync(k, Event("p-" + k, 0));
        var txns = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => writer.BeginTransactionAsync()));
        var racing = Task.Run(async () =>
        {
            for (int i = 1; i <= 200; i++) await plain.WriteEventAsync(keys[i % keys.Length], Event("p-" + keys[i % keys.Length], i));
        });
        await Task.WhenAll(txns.Select(async (txn, t) =>
        {
            for (int i = 0; i < 40; i++) await txn.WriteEventAsync(keys[i % keys.Length], Event($"t{t}-" + keys[i % keys.Length], i));
            await txn.CommitAsync();
        }));
        await racing;
        foreach (var k in keys) await plain.WriteEventAsync(k, Event("p-" + k, 9999));

        var segments = await SegmentsAsync(store);
        Assert.Equal(12 + 200 + (6 * 40) + 12, segments.Sum(s => s.Count));
        foreach (var segment in segments)
        {
            for (int t = 0; t < 6; t++)
            {
                // A committed transaction's events are one run in each segment: no other event inside.
                var at = segment.Select((e, i) => (e, i)).Where(x => x.e.StartsWith($"t{t}-", StringComparison.Ordinal)).Select(x => x.i).ToList();
                if (at.Count > 0) Assert.Equal(at.Count, at[^1] - at[0] + 1);
            }
            // Per writer and key, write order; a key's first plain event before and its last after every transaction's.
            foreach (var stream in segment.GroupBy(e => e.Split(':')[0]))
            {
                var numbers = stream.Select(e => int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(numbers.Order(), numbers);
            }
            foreach (var k in keys)
            {
                var ofKey = segment.Where(e => e.Split(':')[0].EndsWith("-" + k, StringComparison.Ordinal)).ToList();
                if (ofKey.Count == 0) continue;
                Assert.Equal(Event("p-" + k, 0), ofKey[0]);
                Assert.Equal(Event("p-" + k, 9999), ofKey[^1]);
            }
        }
    }

    [Fact]
    public async Task A_transaction_spanning_four_segments_commits_into_each_of_them()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 4);
        await using var writer = Writer(store);
        var txn = await writer.BeginTransactionAsync();
        await WriteAllAsync(txn, "a", 400, keys: 64);
        await txn.CommitAsync();
        var segments = await SegmentsAsync(store);
        Assert.Equal(4, segments.Count);
        Assert.All(segments, s => Assert.NotEmpty(s));
        Assert.Equal(400, segments.Sum(s => s.Count));
        foreach (var (segment, range) in segments.Zip(await store.Streams.GetActiveSegmentsAsync("s", "t")))
            Assert.All(segment, e => Assert.True(range.KeyRange.Contains(KeySpace.Point("k" + e.Split(':')[0][1..]))));
    }

    [Fact]
    public async Task A_transaction_begun_before_a_scale_commits_into_the_successors_in_key_order()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var plain = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await using var writer = Writer(store);
        string[] keys = [.. Enumerable.Range(0, 16).Select(i => "k" + i)];
        foreach (var k in keys) await plain.WriteEventAsync(k, Event("p-" + k, 0));
        var txn = await writer.BeginTransactionAsync();
        for (int i = 0; i < 64; i++) await txn.WriteEventAsync(keys[i % 16], Event("t-" + keys[i % 16], i));
        await store.Streams.ScaleStreamAsync("s", "t", [0L], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        for (int i = 64; i < 96; i++) await txn.WriteEventAsync(keys[i % 16], Event("t-" + keys[i % 16], i));
        await txn.CommitAsync();

        var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
        var events = await store.ReadAllAsync("s", "t", 16 + 96);
        Assert.Equal(16 + 96, events.Count);
        foreach (var k in keys)
        {
            var ofKey = events.Select(e => e.Event!).Where(e => e.Split(':')[0].EndsWith("-" + k, StringComparison.Ordinal)).ToList();
            Assert.Equal(Event("p-" + k, 0), ofKey[0]);
            var numbers = ofKey.Skip(1).Select(e => int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }
        var successors = await SegmentsAsync(store);
        Assert.Equal(96, successors.Skip(1).Sum(s => s.Count)); // the first is the sealed predecessor: plain events only
        Assert.Equal(2, active.Count);
    }

    [Fact]
    public async Task Sealing_the_stream_aborts_its_open_transactions_and_begin_then_fails()
    {
        await using var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = Writer(store);
        var txn = await writer.BeginTransactionAsync();
        await txn.WriteEventAsync("k", "v");
        await store.Streams.SealStreamAsync("s", "t");
        Assert.Equal(TransactionStatus.Aborted, await txn.CheckStatusAsync());
        var failed = await Assert.ThrowsAsync<TransactionFailedException>(() => txn.CommitAsync());
        Assert.Contains("sealed", failed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StreamSealedException>(() => writer.BeginTransactionAsync());
        await Assert.ThrowsAsync<StreamNotFoundException>(() => store.CreateTransactionalWriter("s", "none", Serializers.Utf8).BeginTransactionAsync());
        Assert.True(await store.Streams.DeleteStreamAsync("s", "t"));
    }

    [Fact]
    public async Task A_thousand_concurrent_open_transactions_commit_and_abort_independently_across_a_reopen()
    {
        var ids = new List<Guid>();
        await using (var store = await OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 4);
            await using var writer = Writer(store);
            var txns = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => writer.BeginTransactionAsync()));
            await Task.WhenAll(txns.Select((txn, t) => Task.WhenAll(
                txn.WriteEventAsync("k" + t, Event("t" + t, 0)),
                txn.WriteEventAsync("k" + (t + 1), Event("t" + t, 1)))));
            ids.AddRange(txns.Select(t => t.TransactionId));
            await Task.WhenAll(txns.Where((_, t) => t % 3 == 0).Select(t => t.CommitAsync()));
            await Task.WhenAll(txns.Where((_, t) => t % 3 == 1).Select(t => t.AbortAsync()));
        }
        await using (var store = await OpenAsync())
        {
            await using var writer = Writer(store);
            var txns = await Task.WhenAll(ids.Select(id => writer.GetTransactionAsync(id)));
            var statuses = await Task.WhenAll(txns.Select(t => t.CheckStatusAsync()));
            for (int t = 0; t < 1000; t++)
                Assert.Equal(t % 3 == 0 ? TransactionStatus.Committed : t % 3 == 1 ? TransactionStatus.Aborted : TransactionStatus.Open, statuses[t]);
            await Task.WhenAll(txns.Where((_, t) => t % 3 == 2).Select(t => t.CommitAsync()));
            var all = (await SegmentsAsync(store)).SelectMany(s => s).ToList();
            var expected = Enumerable.Range(0, 1000).Where(t => t % 3 != 1).SelectMany(t => new[] { Event("t" + t, 0), Event("t" + t, 1) });
            Assert.Equal(expected.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Bad_input_cancellation_and_disposal_are_refused_clearly_and_leave_the_transaction_usable()
    {
        var store = await OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await store.Streams.CreateStreamAsync("s", "other", new StreamConfiguration());
        Assert.Throws<ArgumentException>(() => store.CreateTransactionalWriter("s", "bad_name", Serializers.Utf8));
        Assert.Throws<ArgumentNullException>(() => store.CreateTransactionalWriter<string>("s", "t", null!));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => store.CreateTransactionalWriter("nope", "t", Serializers.Utf8).BeginTransactionAsync());

        var writer = Writer(store);
        var txn = await writer.BeginTransactionAsync();
        Assert.Throws<ArgumentNullException>(() => { _ = txn.WriteEventAsync(null!, "v"); });
        var huge = new string('x', (8 << 20) + 1);
        Assert.Throws<ArgumentException>(() => { _ = txn.WriteEventAsync("k", huge); });
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => txn.WriteEventAsync("k", "never", cancelled.Token));
        }
        await txn.WriteEventAsync("k", "kept");
        // Another stream's writer does not know this stream's transactions.
        await Assert.ThrowsAsync<TransactionFailedException>(() => store.CreateTransactionalWriter("s", "other", Serializers.Utf8).GetTransactionAsync(txn.TransactionId));
        await txn.CommitAsync();
        Assert.Equal(["kept"], (await SegmentsAsync(store)).Single());

        // A disposed writer begins nothing, but its transactions go on; a disposed store refuses everything.
        var open = await writer.BeginTransactionAsync();
        await writer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => writer.BeginTransactionAsync());
        await open.WriteEventAsync("k", "after writer dispose");
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => open.WriteEventAsync("k", "late"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => open.CommitAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => open.CheckStatusAsync());
        Assert.Throws<ObjectDisposedException>(() => store.CreateTransactionalWriter("s", "t", Serializers.Utf8));

        await using var reopened = await OpenAsync();
        var again = await Writer(reopened).GetTransactionAsync(open.TransactionId);
        Assert.Equal(TransactionStatus.Open, await again.CheckStatusAsync());
        await again.CommitAsync();
        Assert.Equal(["kept", "after writer dispose"], (await reopened.ReadEachSegmentAsync("s", "t")).Single());
    }

    [Fact]
    public async Task A_commit_right_after_writes_queued_for_room_in_the_log_includes_all_of_them_in_order()
    {
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock, WalMaxPendingBytes = 64 << 10 });
        await store.CreateStreamAsync("s", "t", segments: 1);
        var txn = await Writer(store).BeginTransactionAsync();
        var payload = new string('x', 1000);
        var writes = Enumerable.Range(0, 2000).Select(i => txn.WriteEventAsync("k", Event("q", i) + payload)).ToList(); // 2 MB: most wait for room
        await txn.CommitAsync();
        await Task.WhenAll(writes);
        var read = (await SegmentsAsync(store)).Single();
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => Event("q", i) + payload), read);
    }
}
