using Xunit;
using System.Globalization;

namespace Pravega.Embedded.Tests.Integration;

public sealed class WriteReadTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Events_of_each_key_are_read_in_write_order_with_four_segments_and_64_keys()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "orders", segments: 4);
        await using var writer = store.CreateEventWriter("s", "orders", Serializers.Utf8);
        const int Keys = 64, PerKey = 40;
        var writes = new List<Task>();
        for (int i = 0; i < Keys * PerKey; i++) writes.Add(writer.WriteEventAsync($"key-{i % Keys}", $"{i % Keys}:{i / Keys}"));
        await Task.WhenAll(writes);

        var events = await store.ReadAllAsync("s", "orders", Keys * PerKey);

        Assert.Equal(Keys * PerKey, events.Count);
        var next = new int[Keys];
        foreach (var e in events)
        {
            var parts = e.Event!.Split(':');
            int key = int.Parse(parts[0], CultureInfo.InvariantCulture), seq = int.Parse(parts[1], CultureInfo.InvariantCulture);
            Assert.Equal(next[key], seq);
            next[key]++;
        }
        Assert.Equal(4, events.Select(e => e.EventPointer!.Segment.SegmentId).Distinct().Count());
        var segments = await store.Streams.GetActiveSegmentsAsync("s", "orders");
        Assert.Equal([0L, 1, 2, 3], segments.Select(s => s.SegmentId).Order());
        Assert.Equal(0.0, segments.Min(s => s.KeyRange.Low));
        Assert.Equal(1.0, segments.Max(s => s.KeyRange.High));
    }

    [Fact]
    public async Task A_routing_key_always_goes_to_the_segment_whose_range_holds_its_hash()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "routed", segments: 8);
        await using var writer = store.CreateEventWriter("s", "routed", Serializers.Utf8);
        for (int i = 0; i < 200; i++) await writer.WriteEventAsync($"k{i}", $"k{i}");
        var ranges = (await store.Streams.GetActiveSegmentsAsync("s", "routed")).ToDictionary(r => r.SegmentId, r => r.KeyRange);

        var events = await store.ReadAllAsync("s", "routed", 200);

        foreach (var e in events)
        {
            double point = Controller.KeySpace.Point(e.Event!);
            var range = ranges[e.EventPointer!.Segment.SegmentId];
            Assert.True(point >= range.Low && point < range.High, $"{e.Event} hashed to {point}, outside {range}");
        }
    }

    [Fact]
    public async Task A_tail_reader_gets_an_event_written_while_it_waits()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "tail", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "tail"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var empty = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(50));
        Assert.False(empty.HasEvent);
        Assert.False(empty.IsEndOfStream);

        var pending = reader.ReadNextEventAsync(TimeSpan.FromSeconds(30)).AsTask();
        await using var writer = store.CreateEventWriter("s", "tail", Serializers.Utf8);
        await writer.WriteEventAsync("k", "hello");

        var read = await pending.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(read.HasEvent);
        Assert.Equal("hello", read.Event);
    }

    [Fact]
    public async Task A_sealed_stream_read_to_its_end_reports_end_of_stream()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "finite", segments: 3);
        await using (var writer = store.CreateEventWriter("s", "finite", Serializers.Utf8))
            for (int i = 0; i < 30; i++) await writer.WriteEventAsync($"k{i}", $"e{i}");
        await store.Streams.SealStreamAsync("s", "finite");
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "finite"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);

        int events = 0;
        EventRead<string> read;
        while ((read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10))).HasEvent) events++;

        Assert.Equal(30, events);
        Assert.True(read.IsEndOfStream);
        Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(1))).IsEndOfStream);
        var streamed = new List<string>();
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g2", ReaderGroupConfig.ForStream("s", "finite"));
        await using var second = store.CreateReader("r", "s", "g2", Serializers.Utf8);
        await foreach (var e in second.ReadEventsAsync()) streamed.Add(e.Event!);
        Assert.Equal(30, streamed.Count);
    }

    [Fact]
    public async Task An_event_pointer_fetches_its_event()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "p", segments: 2);
        await using var writer = store.CreateEventWriter("s", "p", Serializers.Utf8);
        for (int i = 0; i < 10; i++) await writer.WriteEventAsync($"k{i}", $"e{i}");
        var events = await store.ReadAllAsync("s", "p", 10);

        foreach (var e in events)
        {
            var pointer = EventPointer.FromBase64(e.EventPointer!.ToBase64());
            Assert.Equal(e.Event, await store.FetchEventAsync(pointer, Serializers.Utf8));
        }
    }

    [Fact]
    public async Task Json_serialized_events_round_trip()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "json", segments: 1);
        await using var writer = store.CreateEventWriter("s", "json", Serializers.Json<Reading>());
        await writer.WriteEventAsync("k", new Reading("t1", 21.5));
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "json"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Json<Reading>());

        var read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new Reading("t1", 21.5), read.Event);
    }

    public sealed record Reading(string Sensor, double Value);

    [Fact]
    public async Task Writes_queued_behind_backpressure_keep_call_order_and_all_complete()
    {
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { WalMaxPendingBytes = 64 << 10 });
        await store.CreateStreamAsync("s", "pressure", segments: 2);
        await using var writer = store.CreateEventWriter("s", "pressure", Serializers.Utf8);
        const int Keys = 8, Count = 4000;
        string padding = new('p', 1000);
        var writes = new Task[Count];
        for (int i = 0; i < Count; i++) writes[i] = writer.WriteEventAsync($"k{i % Keys}", $"{i % Keys}:{i / Keys}:{padding}");
        await Task.WhenAll(writes);

        var events = await store.ReadAllAsync("s", "pressure", Count);

        Assert.Equal(Count, events.Count);
        var next = new int[Keys];
        foreach (var e in events)
        {
            var parts = e.Event!.Split(':');
            int key = int.Parse(parts[0], CultureInfo.InvariantCulture);
            Assert.Equal(next[key]++, int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Disposing_the_store_ends_a_waiting_read_with_ObjectDisposedException()
    {
        var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "idle", segments: 1);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "idle"));
        var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var waiting = reader.ReadNextEventAsync(Timeout.InfiniteTimeSpan).AsTask();
        await Task.Delay(50);

        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(20)));
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task An_acknowledged_write_is_visible_at_once_to_stream_info_and_truncation()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "visible", segments: 1);
        var writers = Enumerable.Range(0, 4).Select(_ => store.CreateEventWriter("s", "visible", Serializers.Utf8)).ToList();
        long expected = 0;
        for (int round = 0; round < 400; round++)
        {
            // Several writers race the flusher, so some acknowledgements come from a commit finishing right then.
            var writes = writers.Select(w => w.WriteEventAsync("k", "0123456789")).ToList();
            await Task.WhenAll(writes);
            expected += writers.Count * (4 + 10);
            Assert.Equal(expected, await store.TailLengthAsync("s", "visible"));
        }
        foreach (var w in writers) await w.DisposeAsync();
    }
}
