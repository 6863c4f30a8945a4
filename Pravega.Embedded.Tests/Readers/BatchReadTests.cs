using System.Globalization;
using System.Text;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Readers;

/// <summary>
/// The batch read (<see cref="IEventStreamReader{T}.ReadNextEventsAsync"/>): every event once, per-key order, pointers
/// that fetch the event, a batch's bounds (bytes, slots, an event larger than it), checkpoints, end of stream, timeouts,
/// end cuts, truncation, tiered events after a reopen, and mixing it with single reads.
/// </summary>
public sealed class BatchReadTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Event(int key, int i) => string.Create(CultureInfo.InvariantCulture, $"k{key}:{i:D6}");

    private static async Task WriteAsync(IStreamStore store, string stream, int from, int count, int keys = 8, int padding = 0)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++) pending.Add(writer.WriteEventAsync("k" + (i % keys), Event(i % keys, i) + new string('x', padding)));
        await Task.WhenAll(pending);
    }

    private static long Tiered(StreamStore store)
    {
        lock (store.Runtime.Container.Lock) return store.Runtime.Container.AllSegments.Sum(s => s.TieredLength);
    }

    private static string Text(EventBatch batch, int i) => Encoding.UTF8.GetString(batch[i].Span);

    /// <summary>Reads with batches until a read times out; every event's text, in read order.</summary>
    private static async Task<List<string>> DrainAsync(IEventStreamReader<string> reader, EventBatch batch, TimeSpan wait)
    {
        var events = new List<string>();
        while (true)
        {
            await reader.ReadNextEventsAsync(batch, wait);
            if (batch.Count == 0 && batch.CheckpointName is null) return events;
            for (int i = 0; i < batch.Count; i++) events.Add(Text(batch, i));
        }
    }

    /// <summary>Each key's events in increasing order, and every event once.</summary>
    private static void AssertPerKeyOrder(List<string> events, int expected)
    {
        Assert.Equal(expected, events.Count);
        Assert.Equal(expected, events.Distinct().Count());
        foreach (var key in events.GroupBy(e => e.Split(':')[0]))
        {
            var numbers = key.Select(e => int.Parse(e.Split(':')[1][..6], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }
    }

    [Fact]
    public async Task A_batch_reader_reads_every_event_once_in_per_key_order_and_its_pointers_fetch_them()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 4);
        await WriteAsync(store, "t", 0, 5000);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var batch = new EventBatch(capacityBytes: 16 << 10, maxEvents: 300);
        var events = new List<string>();
        int batches = 0;
        while (events.Count < 5000)
        {
            await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
            Assert.True(batch.Count > 0, $"a batch came back empty after {events.Count} events");
            Assert.True(batch.Count <= 300);
            batches++;
            for (int i = 0; i < batch.Count; i++) events.Add(Text(batch, i));
            if (batches % 7 == 0)
                Assert.Equal(Text(batch, batch.Count - 1), await store.FetchEventAsync(batch.GetPointer(batch.Count - 1), Serializers.Utf8));
        }
        AssertPerKeyOrder(events, 5000);
        Assert.True(batches < 100, $"{batches} batches: a batch should carry many events");
        await reader.ReadNextEventsAsync(batch, TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, batch.Count);
        Assert.False(batch.IsEndOfStream);
        Assert.Null(batch.CheckpointName);
        Assert.NotNull(batch.Position);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[0]);
    }

    [Fact]
    public async Task An_event_larger_than_the_batch_is_refused_and_read_after_it_with_a_single_read()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, 3);
        await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8)) await writer.WriteEventAsync("k0", new string('b', 500));
        await WriteAsync(store, "t", 3, 3);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var batch = new EventBatch(capacityBytes: 100);
        await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
        Assert.Equal(3, batch.Count); // the big one does not fit behind them: it waits for the next call
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5)).AsTask());
        var big = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(500, big.Event!.Length);
        Assert.Equal(3, (await DrainAsync(reader, batch, TimeSpan.FromMilliseconds(200))).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventBatch(capacityBytes: 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventBatch(maxEvents: 0));
        await Assert.ThrowsAsync<ArgumentNullException>(() => reader.ReadNextEventsAsync(null!, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task Batches_and_single_reads_mix_and_a_checkpoint_comes_as_a_batch_of_its_own()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 3);
        await WriteAsync(store, "t", 0, 900);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var events = new List<string>();
        Checkpoint checkpoint;
        await using (var reader = store.CreateReader("r", "s", "g", Serializers.Utf8))
        {
            var batch = new EventBatch(capacityBytes: 2000, maxEvents: 50);
            for (int round = 0; round < 4; round++)
            {
                await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
                for (int i = 0; i < batch.Count; i++) events.Add(Text(batch, i));
                events.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
            }
            var pending = group.InitiateCheckpointAsync("cp");
            while (true)
            {
                await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
                if (batch.CheckpointName is not null)
                {
                    Assert.Equal("cp", batch.CheckpointName);
                    Assert.Equal(0, batch.Count);
                    break;
                }
                for (int i = 0; i < batch.Count; i++) events.Add(Text(batch, i));
            }
            checkpoint = await pending.WaitAsync(TimeSpan.FromSeconds(10));
            events.AddRange(await DrainAsync(reader, batch, TimeSpan.FromMilliseconds(300)));
        }
        AssertPerKeyOrder(events, 900);
        await group.ResetAsync(ReaderGroupConfig.FromCheckpoint(checkpoint));
        await using var again = store.CreateReader("r2", "s", "g", Serializers.Utf8);
        var reread = await DrainAsync(again, new EventBatch(), TimeSpan.FromMilliseconds(300));
        Assert.Subset(events.ToHashSet(), reread.ToHashSet()); // from the checkpoint on: what followed it, nothing twice
        Assert.Equal(reread.Count, reread.Distinct().Count());
    }

    [Fact]
    public async Task A_batch_reader_stops_at_an_end_cut_and_says_end_of_stream()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 400);
        var end = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 400, 400);
        var config = new ReaderGroupConfig { Streams = [new StreamSelection("s", "t", End: end)] };
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", config);
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var batch = new EventBatch(capacityBytes: 1500);
        var events = new List<string>();
        while (true)
        {
            await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
            if (batch.IsEndOfStream) break;
            Assert.True(batch.Count > 0 || batch.CheckpointName is not null, "timed out before the end cut");
            for (int i = 0; i < batch.Count; i++) events.Add(Text(batch, i));
        }
        AssertPerKeyOrder(events, 400);
        Assert.All(events, e => Assert.True(int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture) < 400));
    }

    [Fact]
    public async Task A_batch_reader_reads_tiered_events_after_a_reopen_and_is_told_of_a_truncation()
    {
        var options = _dir.Options(64 << 10) with
        {
            Tier2Directory = Path.Combine(_dir.Root, "tier2"),
            Tier1MaxBytes = 256 << 10,
            Tier2ChunkSize = 128 << 10,
        };
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            for (int part = 0; part < 10; part++) await WriteAsync(store, "t", part * 300, 300, padding: 300); // ~1 MB: most of it tiered
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            for (int attempt = 0; attempt < 400 && Tiered(store) < 512 << 10; attempt++) await Task.Delay(25); // the tierer runs in the background
            Assert.True(Tiered(store) >= 512 << 10, "the tierer did not tier most of the stream");
        }
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            AssertPerKeyOrder(await DrainAsync(reader, new EventBatch(capacityBytes: 64 << 10), TimeSpan.FromMilliseconds(500)), 3000);

            // Single reads load the Tier-2 blocks into the cache; a batch reader then copies runs out of the cached blocks.
            await store.ReaderGroups.CreateReaderGroupAsync("s", "single", ReaderGroupConfig.ForStream("s", "t"));
            await using (var single = store.CreateReader("r", "s", "single", Serializers.Utf8))
                for (int i = 0; i < 3000; i++) Assert.True((await single.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
            await store.ReaderGroups.CreateReaderGroupAsync("s", "cached", ReaderGroupConfig.ForStream("s", "t"));
            await using var cached = store.CreateReader("r", "s", "cached", Serializers.Utf8);
            AssertPerKeyOrder(await DrainAsync(cached, new EventBatch(capacityBytes: 10_000), TimeSpan.FromMilliseconds(500)), 3000);
        }
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g2", ReaderGroupConfig.ForStream("s", "t"));
            await using var reader = store.CreateReader("r", "s", "g2", Serializers.Utf8);
            var batch = new EventBatch(capacityBytes: 4 << 10);
            await reader.ReadNextEventsAsync(batch, TimeSpan.FromSeconds(5));
            Assert.True(batch.Count > 0);
            await store.Streams.TruncateStreamAsync("s", "t", (await store.Streams.GetStreamInfoAsync("s", "t")).Tail);
            await Assert.ThrowsAsync<TruncatedDataException>(async () =>
            {
                for (int i = 0; i < 1000; i++) await reader.ReadNextEventsAsync(batch, TimeSpan.FromMilliseconds(100));
            });
        }
    }
}
