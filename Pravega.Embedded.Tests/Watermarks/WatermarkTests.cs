using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Watermarks;

/// <summary>
/// Watermarks on a fake clock: writers at different event times note them, marks are made once a second, and a reader's
/// window bounds what it reads next (lower bound) and what was noted before where it is (upper bound), across a scale; a
/// writer that stops noting stops holding the marks back after its timeout; unbounded where no one noted.
/// </summary>
public sealed class WatermarkTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private async Task<StreamStore> OpenAsync(int segments)
    {
        var store = await StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock, RetentionCheckInterval = Timeout.InfiniteTimeSpan });
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) });
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        return store;
    }

    private static string Event(string writer, long time) => writer + ":" + time.ToString(CultureInfo.InvariantCulture);

    private static long TimeOf(string evt) => long.Parse(evt[(evt.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);

    /// <summary>Reads <paramref name="count"/> events, checking before each that the window's lower bound holds for it.</summary>
    private static async Task<List<TimeWindow>> ReadCheckingAsync(IEventStreamReader<string> reader, int count)
    {
        var windows = new List<TimeWindow>();
        for (int read = 0; read < count;)
        {
            var window = reader.GetCurrentTimeWindow("s", "t");
            windows.Add(window);
            if (window is { LowerTimeBound: { } l, UpperTimeBound: { } u }) Assert.True(l <= u, $"window {window}");
            var next = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));
            if (!next.HasEvent) continue;
            long time = TimeOf(next.Event!);
            Assert.True(window.LowerTimeBound is null || time >= window.LowerTimeBound, $"event {next.Event} read in window {window}");
            read++;
        }
        return windows;
    }

    [Fact]
    public async Task Writers_at_different_times_give_windows_that_hold_for_what_is_read_next_across_a_scale()
    {
        await using var store = await OpenAsync(segments: 2);
        string[] ids = ["w0", "w1", "w2"];
        var writers = ids.Select(id => store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = id })).ToList();
        var noted = new List<long>();
        const int Steps = 10, PerStep = 5;
        for (int step = 0; step < Steps; step++)
        {
            for (int w = 0; w < writers.Count; w++)
            {
                long time = (w * 1000) + (step * 100);
                for (int j = 0; j < PerStep; j++) await writers[w].WriteEventAsync("k" + j.ToString(CultureInfo.InvariantCulture), Event(ids[w], time + j));
                await writers[w].NoteTimeAsync(time + PerStep - 1); // after its events: later ones are later
                noted.Add(time + PerStep - 1);
            }
            if (step == Steps / 2)
            {
                var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
                var first = active[0];
                double middle = (first.KeyRange.Low + first.KeyRange.High) / 2;
                await store.Streams.ScaleStreamAsync("s", "t", [first.SegmentId], [new KeyRange(first.KeyRange.Low, middle), new KeyRange(middle, first.KeyRange.High)]);
            }
            _clock.Advance(TimeSpan.FromSeconds(1)); // a mark
        }

        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var windows = await ReadCheckingAsync(reader, Steps * PerStep * writers.Count);
        Assert.Equal(new TimeWindow(null, 2004), windows[0]); // at the head: no mark passed; the first mark's greatest time ahead
        var lowers = windows.Where(w => w.LowerTimeBound is not null).Select(w => w.LowerTimeBound!.Value).ToList();
        Assert.True(lowers.Count > windows.Count / 2, "most reads had a lower bound");
        Assert.Equal(lowers.Order(), lowers); // it only moves forward
        var end = reader.GetCurrentTimeWindow("s", "t");
        Assert.Equal(new TimeWindow((Steps - 1) * 100 + PerStep - 1, null), end); // past every mark: the slowest writer's last time
        Assert.True(noted.Max() >= end.LowerTimeBound);
        foreach (var w in writers) await w.DisposeAsync();
    }

    [Fact]
    public async Task A_writer_that_stops_noting_stops_holding_the_mark_after_its_timeout()
    {
        await using var store = await OpenAsync(segments: 1);
        var timeout = TimeSpan.FromSeconds(5);
        await using var fast = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "fast", TimestampAggregationTimeout = timeout });
        await using var slow = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "slow", TimestampAggregationTimeout = timeout });
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        await slow.WriteEventAsync("k", Event("slow", 10));
        await slow.NoteTimeAsync(10);
        int events = 1;
        for (int second = 1; second <= 12; second++)
        {
            await fast.WriteEventAsync("k", Event("fast", second * 100));
            await fast.NoteTimeAsync(second * 100);
            events++;
            _clock.Advance(TimeSpan.FromSeconds(1));
            if (second != 3 && second != 12) continue;
            await ReadCheckingAsync(reader, events);
            events = 0;
            var window = reader.GetCurrentTimeWindow("s", "t");
            if (second == 3) Assert.Equal(10, window.LowerTimeBound); // the slow writer holds the mark
            else Assert.Equal(1200, window.LowerTimeBound); // timed out: the mark follows the fast one alone
        }
    }

    [Fact]
    public async Task Windows_are_unbounded_where_no_writer_noted_a_time()
    {
        await using var store = await OpenAsync(segments: 2);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        for (int i = 0; i < 10; i++) await writer.WriteEventAsync("k" + i.ToString(CultureInfo.InvariantCulture), Event("w", i));
        _clock.Advance(TimeSpan.FromSeconds(3));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        await ReadCheckingAsync(reader, 10);
        Assert.Equal(default, reader.GetCurrentTimeWindow("s", "t"));
        Assert.Equal(default, reader.GetCurrentTimeWindow("s", "other")); // a stream the group does not read
    }

    [Fact]
    public async Task Bad_times_and_options_are_refused_clearly()
    {
        await using var store = await OpenAsync(segments: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { TimestampAggregationTimeout = TimeSpan.Zero }));
        var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
        await writer.NoteTimeAsync(100);
        await writer.NoteTimeAsync(100); // the same again is fine
        var back = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.NoteTimeAsync(99));
        Assert.Equal("timestamp", back.ParamName);
        await writer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => writer.NoteTimeAsync(200));
        await using var missing = store.CreateEventWriter("s", "nope", Serializers.Utf8);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => missing.NoteTimeAsync(1));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        Assert.Throws<ArgumentException>(() => reader.GetCurrentTimeWindow("s", "bad_name"));
    }
}
