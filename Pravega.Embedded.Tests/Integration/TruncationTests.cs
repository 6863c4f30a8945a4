using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>TruncateStreamAsync through the public API: the head moves, earlier events are gone, bad cuts are refused.</summary>
public sealed class TruncationTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Event(int i) => "e-" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static async Task WriteAsync(StreamStore store, string stream, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        for (int i = from; i < from + count; i++) await writer.WriteEventAsync($"k{i % 10}", Event(i));
    }

    [Fact]
    public async Task Truncating_moves_the_head_and_hides_the_events_before_the_cut()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 100);
        var before = await store.ReadAllAsync("s", "t", 100);
        var cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 100, 50);

        await store.Streams.TruncateStreamAsync("s", "t", cut);

        var info = await store.Streams.GetStreamInfoAsync("s", "t");
        Assert.Equal(cut.Positions, info.Head.Positions);
        Assert.All(await store.Streams.GetActiveSegmentsAsync("s", "t"), r => Assert.Equal(cut.Positions[r.SegmentId], r.StartOffset));
        foreach (var e in before.Take(20))
            await Assert.ThrowsAsync<TruncatedDataException>(() => store.FetchEventAsync(e.EventPointer!, Serializers.Utf8));

        var after = await store.ReadAllAsync("s", "t", 50);
        Assert.Equal(Enumerable.Range(100, 50).Select(Event), after.Select(e => e.Event!).Order(StringComparer.Ordinal));
        Assert.Equal(after[0].Event, await store.FetchEventAsync(after[0].EventPointer!, Serializers.Utf8));
    }

    [Fact]
    public async Task Truncation_never_goes_backwards_and_an_older_cut_is_ignored_per_segment()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        var empty = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 0, 40);
        var first = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 40, 40);
        var second = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;

        await store.Streams.TruncateStreamAsync("s", "t", second);
        await store.Streams.TruncateStreamAsync("s", "t", first);
        await store.Streams.TruncateStreamAsync("s", "t", empty);
        Assert.Equal(second.Positions, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions);

        // Mixed: one segment ahead of the head, the other behind it: only the first moves.
        await WriteAsync(store, "t", 80, 40);
        var third = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        var (a, b) = (third.Positions.Keys.Min(), third.Positions.Keys.Max());
        var mixed = new StreamCut("s", "t", new Dictionary<long, long> { [a] = third.Positions[a], [b] = first.Positions[b] });
        await store.Streams.TruncateStreamAsync("s", "t", mixed);
        var head = (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions;
        Assert.Equal(third.Positions[a], head[a]);
        Assert.Equal(second.Positions[b], head[b]);
    }

    [Fact]
    public async Task Bad_cuts_and_streams_get_the_exceptions_of_the_contract()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.Streams.CreateStreamAsync("s", "other", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
        await WriteAsync(store, "t", 0, 20);
        var tail = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail.Positions;
        long s0 = tail.Keys.Min(), s1 = tail.Keys.Max();
        Assert.True(tail[s0] > 0 && tail[s1] > 0);
        StreamCut Cut(string stream, params (long Segment, long Offset)[] positions) =>
            new("s", stream, positions.ToDictionary(p => p.Segment, p => p.Offset));

        var bad = new[]
        {
            StreamCut.Unbounded,
            Cut("other", (s0, 0), (s1, 0)),                                    // another stream
            new StreamCut("x", "t", new Dictionary<long, long> { [s0] = 0, [s1] = 0 }),
            Cut("t", (s0, tail[s0])),                                           // half the key space
            Cut("t", (s0, 0), (s1, 0), (7, 0)),                                 // unknown segment
            Cut("t", (s0, 0), (s1, tail[s1] + 11)),                             // beyond the durable length
            Cut("t", (s0, 1), (s1, 0)),                                         // not an event boundary
            Cut("t", (s0, -11), (s1, 0)),
        };
        foreach (var cut in bad)
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => store.Streams.TruncateStreamAsync("s", "t", cut));
            Assert.Equal("cut", e.ParamName);
        }
        Assert.Equal(0, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions.Values.Sum());

        var good = Cut("t", (s0, tail[s0]), (s1, tail[s1]));
        Assert.Equal("scope", (await Assert.ThrowsAnyAsync<ArgumentException>(() => store.Streams.TruncateStreamAsync("bad_scope", "t", good))).ParamName);
        Assert.Equal("stream", (await Assert.ThrowsAnyAsync<ArgumentException>(() => store.Streams.TruncateStreamAsync("s", "", good))).ParamName);
        await Assert.ThrowsAsync<ArgumentNullException>(() => store.Streams.TruncateStreamAsync("s", "t", null!));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => store.Streams.TruncateStreamAsync("nope", "t", good));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => store.Streams.TruncateStreamAsync("s", "nope", good));

        await store.Streams.SealStreamAsync("s", "t");
        await Assert.ThrowsAsync<StreamSealedException>(() => store.Streams.TruncateStreamAsync("s", "t", good));
        await Assert.ThrowsAsync<StreamSealedException>(() => store.Streams.TruncateStreamAsync("s", "t", StreamCut.Unbounded));
    }

    [Fact]
    public async Task Truncation_survives_reopen_and_later_truncations_build_on_it()
    {
        List<EventRead<string>> before;
        StreamCut cut;
        List<string> expected;
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 3);
            await WriteAsync(store, "t", 0, 300);
            before = await store.ReadAllAsync("s", "t", 300);
            cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await WriteAsync(store, "t", 300, 30);
            await store.Streams.TruncateStreamAsync("s", "t", cut);
        }

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(cut.Positions, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions);
            await Assert.ThrowsAsync<TruncatedDataException>(() => store.FetchEventAsync(before[^1].EventPointer!, Serializers.Utf8));
            var after = await store.ReadAllAsync("s", "t", 30);
            Assert.Equal(Enumerable.Range(300, 30).Select(Event), after.Select(e => e.Event!).Order(StringComparer.Ordinal));

            // Truncate again past some of the later events: boundaries are still found after the index dropped entries.
            var latest = after.GroupBy(e => e.EventPointer!.Segment.SegmentId).ToDictionary(g => g.Key, g => g.First());
            var second = new StreamCut("s", "t", cut.Positions.ToDictionary(p => p.Key,
                p => latest.TryGetValue(p.Key, out var e) ? e.EventPointer!.Offset + e.EventPointer.Length : p.Value));
            await store.Streams.TruncateStreamAsync("s", "t", second);
            Assert.Equal(second.Positions, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions);
            expected = [.. after.Select(e => e.Event!).Except(latest.Values.Select(e => e.Event!)).Order(StringComparer.Ordinal)];
        }

        await using (var store = await _dir.OpenAsync())
        {
            var head = (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions;
            Assert.All(cut.Positions, p => Assert.True(head[p.Key] >= p.Value));
            var rest = await store.ReadAllAsync("s", "t", expected.Count);
            Assert.Equal(expected, rest.Select(e => e.Event!).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_truncated_read_says_the_same_through_the_reader_the_batch_client_and_fetch()
    {
        // All three read "the event at this offset" through SegmentReader: each reports the segment's new start.
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, 20);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var first = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
        var range = (await store.Batch.ListSegmentsAsync("s", "t").ToListAsync()).Single();
        var events = await store.ReadAllAsync("s", "t", 20);
        var cutAt = events[10].EventPointer!;
        await store.Streams.TruncateStreamAsync("s", "t", new StreamCut("s", "t", new Dictionary<long, long> { [range.SegmentId] = cutAt.Offset }));
        string startsAt = $"the segment starts at {cutAt.Offset}.";

        var fetched = await Assert.ThrowsAsync<TruncatedDataException>(() => store.FetchEventAsync(first.EventPointer!, Serializers.Utf8));
        var batch = await Assert.ThrowsAsync<TruncatedDataException>(async () => await store.Batch.ReadSegmentAsync(range, Serializers.Utf8).ToListAsync());
        var read = await Assert.ThrowsAsync<TruncatedDataException>(() => reader.ReadNextEventAsync(TimeSpan.FromSeconds(5)).AsTask());

        Assert.Contains(startsAt, fetched.Message, StringComparison.Ordinal);
        Assert.Contains(startsAt, batch.Message, StringComparison.Ordinal);
        Assert.Contains(startsAt, read.Message, StringComparison.Ordinal);
        Assert.Equal(Event(10), (await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event);
        Assert.Equal(Event(10), await store.FetchEventAsync(cutAt, Serializers.Utf8));
        Assert.Equal(Enumerable.Range(10, 10).Select(Event), await store.Batch.ReadSegmentAsync(range with { StartOffset = cutAt.Offset }, Serializers.Utf8).ToListAsync());
    }
}
