using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>The batch client: segment ranges between cuts, read in parallel, waiting for data beyond the tail.</summary>
public sealed class BatchClientTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>"key:sequence", so the order per key can be checked.</summary>
    private static string Event(int i) => (i % 16).ToString(CultureInfo.InvariantCulture) + ":" + i.ToString("D6", CultureInfo.InvariantCulture);

    private static int Sequence(string e) => int.Parse(e[(e.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);

    private static async Task WriteAsync(StreamStore store, string stream, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        var writes = new List<Task>(count);
        for (int i = from; i < from + count; i++) writes.Add(writer.WriteEventAsync($"key-{i % 16}", Event(i)));
        await Task.WhenAll(writes);
    }

    [Fact]
    public async Task Segments_between_two_cuts_read_in_parallel_give_exactly_the_events_written_between_them()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 4);
        await WriteAsync(store, "t", 0, 200);
        var from = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 200, 300);
        var to = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 500, 100);

        var ranges = await store.Batch.ListSegmentsAsync("s", "t", from, to).ToListAsync();

        Assert.Equal([0L, 1, 2, 3], ranges.Select(r => r.SegmentId).Order());
        Assert.All(ranges, r =>
        {
            Assert.Equal(("s", "t"), (r.Scope, r.Stream));
            Assert.Equal(from.Positions[r.SegmentId], r.StartOffset);
            Assert.Equal(to.Positions[r.SegmentId], r.EndOffset);
        });
        var perSegment = await Task.WhenAll(ranges.Select(r => Task.Run(async () => await store.Batch.ReadSegmentAsync(r, Serializers.Utf8).ToListAsync())));

        Assert.Equal(Enumerable.Range(200, 300).Select(Event).Order(StringComparer.Ordinal), perSegment.SelectMany(e => e).Order(StringComparer.Ordinal));
        foreach (var events in perSegment)
        {
            var sequences = events.Select(Sequence).ToList();
            Assert.Equal(sequences.Order(), sequences); // one writer: a segment holds its events in write order
        }
    }

    [Fact]
    public async Task Null_or_unbounded_cuts_mean_the_head_and_the_current_tail()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 3);
        await WriteAsync(store, "t", 0, 90);
        var middle = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 90, 60);

        var all = await store.Batch.ListSegmentsAsync("s", "t").ToListAsync();
        var unbounded = await store.Batch.ListSegmentsAsync("s", "t", StreamCut.Unbounded, StreamCut.Unbounded).ToListAsync();
        Assert.Equal(all, unbounded);
        Assert.All(all, r => Assert.Equal(0, r.StartOffset));
        Assert.Equal(await store.TailLengthAsync("s", "t"), all.Sum(r => r.EndOffset));
        Assert.Equal(150, (await ReadAllAsync(store, all)).Count);

        await store.Streams.TruncateStreamAsync("s", "t", middle);
        var afterTruncation = await store.Batch.ListSegmentsAsync("s", "t").ToListAsync();
        Assert.All(afterTruncation, r => Assert.Equal(middle.Positions[r.SegmentId], r.StartOffset));
        Assert.Equal(Enumerable.Range(90, 60).Select(Event).Order(StringComparer.Ordinal), (await ReadAllAsync(store, afterTruncation)).Order(StringComparer.Ordinal));

        // A range listed before the truncation now starts before the head.
        var stale = all.First(r => r.EndOffset > middle.Positions[r.SegmentId] && middle.Positions[r.SegmentId] > 0);
        await Assert.ThrowsAsync<TruncatedDataException>(async () => await store.Batch.ReadSegmentAsync(stale, Serializers.Utf8).ToListAsync());
    }

    [Fact]
    public async Task A_range_beyond_the_tail_waits_for_the_data_then_ends_at_its_end_offset()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, 5);
        var range = (await store.Batch.ListSegmentsAsync("s", "t").ToListAsync()).Single();
        int eventBytes = 4 + Event(0).Length;
        var beyond = range with { EndOffset = range.EndOffset + (3 * eventBytes) };

        var reading = store.Batch.ReadSegmentAsync(beyond, Serializers.Utf8).ToListAsync().AsTask();
        await WriteAsync(store, "t", 5, 2);
        Assert.False(reading.IsCompleted);
        await WriteAsync(store, "t", 7, 10);

        var events = await reading.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(0, 8).Select(Event), events);

        // Cancellation ends a wait; a sealed segment ends a range that reaches past its end.
        using var cts = new CancellationTokenSource();
        var far = range with { EndOffset = range.EndOffset + (100 * eventBytes) };
        var waiting = store.Batch.ReadSegmentAsync(far, Serializers.Utf8, cts.Token).ToListAsync().AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(20)));

        var untilSeal = store.Batch.ReadSegmentAsync(far, Serializers.Utf8).ToListAsync().AsTask();
        await store.Streams.SealStreamAsync("s", "t");
        Assert.Equal(17, (await untilSeal.WaitAsync(TimeSpan.FromSeconds(20))).Count);
    }

    [Fact]
    public async Task Disposing_the_store_ends_a_waiting_read()
    {
        var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        var range = (await store.Batch.ListSegmentsAsync("s", "t").ToListAsync()).Single() with { EndOffset = 1000 };
        var waiting = store.Batch.ReadSegmentAsync(range, Serializers.Utf8).ToListAsync().AsTask();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Bad_arguments_get_the_exceptions_of_the_contract()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.Streams.CreateStreamAsync("s", "other", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
        await WriteAsync(store, "t", 0, 40);
        var tail = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        var head = (await store.Streams.GetStreamInfoAsync("s", "t")).Head;
        var other = (await store.Streams.GetStreamInfoAsync("s", "other")).Tail;

        Assert.Equal("scope", Assert.ThrowsAny<ArgumentException>(() => store.Batch.ListSegmentsAsync("bad_scope", "t")).ParamName);
        Assert.Equal("stream", Assert.ThrowsAny<ArgumentException>(() => store.Batch.ListSegmentsAsync("s", "")).ParamName);
        await Assert.ThrowsAsync<ScopeNotFoundException>(async () => await store.Batch.ListSegmentsAsync("nope", "t").ToListAsync());
        await Assert.ThrowsAsync<StreamNotFoundException>(async () => await store.Batch.ListSegmentsAsync("s", "nope").ToListAsync());
        Assert.Equal("from", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.Batch.ListSegmentsAsync("s", "t", other).ToListAsync())).ParamName);
        Assert.Equal("to", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.Batch.ListSegmentsAsync("s", "t", null, other).ToListAsync())).ParamName);
        Assert.Equal("to", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.Batch.ListSegmentsAsync("s", "t", tail, head).ToListAsync())).ParamName);
        var notBoundary = new StreamCut("s", "t", tail.Positions.ToDictionary(p => p.Key, p => p.Value - 1));
        Assert.Equal("from", (await Assert.ThrowsAsync<ArgumentException>(async () => await store.Batch.ListSegmentsAsync("s", "t", notBoundary).ToListAsync())).ParamName);

        var range = (await store.Batch.ListSegmentsAsync("s", "t").ToListAsync()).First(r => r.EndOffset > 0);
        Assert.Throws<ArgumentNullException>(() => store.Batch.ReadSegmentAsync<string>(null!, Serializers.Utf8));
        Assert.Throws<ArgumentNullException>(() => store.Batch.ReadSegmentAsync<string>(range, null!));
        Assert.Equal("range", Assert.ThrowsAny<ArgumentException>(() => store.Batch.ReadSegmentAsync(range with { StartOffset = -1 }, Serializers.Utf8)).ParamName);
        Assert.Equal("range", Assert.ThrowsAny<ArgumentException>(() => store.Batch.ReadSegmentAsync(range with { EndOffset = range.StartOffset - 1 }, Serializers.Utf8)).ParamName);
        Assert.Equal("range", (await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.Batch.ReadSegmentAsync(range with { SegmentId = 9 }, Serializers.Utf8).ToListAsync())).ParamName);
        Assert.Equal("range", (await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.Batch.ReadSegmentAsync(range with { StartOffset = 1 }, Serializers.Utf8).ToListAsync())).ParamName);
        Assert.Equal("range", (await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.Batch.ReadSegmentAsync(range with { EndOffset = range.EndOffset - 1 }, Serializers.Utf8).ToListAsync())).ParamName);
        await Assert.ThrowsAsync<StreamNotFoundException>(async () =>
            await store.Batch.ReadSegmentAsync(range with { Stream = "nope" }, Serializers.Utf8).ToListAsync());
    }

    private static async Task<List<string>> ReadAllAsync(StreamStore store, IEnumerable<SegmentRange> ranges)
    {
        var events = new List<string>();
        foreach (var r in ranges) events.AddRange(await store.Batch.ReadSegmentAsync(r, Serializers.Utf8).ToListAsync());
        return events;
    }
}
