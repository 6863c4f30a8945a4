using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Scaling;

/// <summary>
/// Retention on a stream that scales: by size it steps back over the epochs until it finds what it must keep, so a
/// stream that scales more often than it fills an epoch still has its old epochs truncated; by time it truncates at
/// tail cuts recorded in earlier epochs.
/// </summary>
public sealed class RetentionAcrossEpochsTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private const int EventBytes = 20; // 16 UTF-8 bytes and the segment's 4-byte length
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private static string Event(int i) => "event-" + i.ToString("D10", CultureInfo.InvariantCulture);

    private Task<StreamStore> OpenAsync() =>
        StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock, RetentionCheckInterval = Interval });

    private async Task TickAsync(StreamStore store)
    {
        _clock.Advance(Interval);
        await store.Retention.WhenIdleAsync();
    }

    private static async Task WriteAsync(StreamStore store, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        for (int i = from; i < from + count; i++) await writer.WriteEventAsync($"k{i % 16}", Event(i));
    }

    /// <summary>Splits the first active segment in two, or merges the first two (alternately).</summary>
    private static async Task ScaleAsync(StreamStore store, bool split)
    {
        var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
        if (split || active.Count == 1)
        {
            var s = active[0];
            double middle = (s.KeyRange.Low + s.KeyRange.High) / 2;
            await store.Streams.ScaleStreamAsync("s", "t", [s.SegmentId], [new KeyRange(s.KeyRange.Low, middle), new KeyRange(middle, s.KeyRange.High)]);
        }
        else
        {
            await store.Streams.ScaleStreamAsync("s", "t", [active[0].SegmentId, active[1].SegmentId], [new KeyRange(active[0].KeyRange.Low, active[1].KeyRange.High)]);
        }
    }

    private static async Task<long> RemainingAsync(StreamStore store)
    {
        long bytes = 0;
        await foreach (var range in store.Batch.ListSegmentsAsync("s", "t")) bytes += range.EndOffset - range.StartOffset;
        return bytes;
    }

    [Fact]
    public async Task By_size_truncates_old_epochs_of_a_stream_that_scales_more_often_than_it_fills_one()
    {
        const long Keep = 1000;
        await using (var store = await OpenAsync())
        {
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2), RetentionPolicy = RetentionPolicy.BySize(Keep) });
            // Each epoch gets 15 events (300 bytes), well under what the policy keeps.
            for (int epoch = 0; epoch < 12; epoch++)
            {
                await WriteAsync(store, epoch * 15, 15);
                await ScaleAsync(store, split: epoch % 2 == 0);
                await TickAsync(store);
                long remaining = await RemainingAsync(store);
                long written = (epoch + 1) * 15L * EventBytes;
                if (written <= Keep) Assert.Equal(written, remaining);
                else Assert.InRange(remaining, Keep, Keep + (4 * EventBytes));
            }
            var events = await store.ReadSegmentsAsync("s", "t");
            Assert.Equal(await RemainingAsync(store) / EventBytes, events.Count);
            Assert.Contains(Event(12 * 15 - 1), events); // the newest are kept
            Assert.DoesNotContain(Event(0), events);
            var info = await store.Streams.GetStreamInfoAsync("s", "t");
            Assert.DoesNotContain(0L, info.Head.Positions.Keys); // the head moved past segment 0.0 (the one scaled over and over)
        }
        await using (var store = await OpenAsync())
        {
            Assert.InRange(await RemainingAsync(store), Keep, Keep + (4 * EventBytes));
        }
    }

    [Fact]
    public async Task By_time_truncates_at_a_tail_cut_recorded_before_a_scale()
    {
        await using var store = await OpenAsync();
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1), RetentionPolicy = RetentionPolicy.ByTime(TimeSpan.FromMinutes(2)) });
        await WriteAsync(store, 0, 10);
        await TickAsync(store);                    // minute 1: records the tail after events 0..9 (epoch 0)
        await ScaleAsync(store, split: true);
        await WriteAsync(store, 10, 10);
        await TickAsync(store);                    // minute 2: records a tail of epoch 1
        await WriteAsync(store, 20, 10);
        await TickAsync(store);                    // minute 3: the cut of minute 1 is 2 minutes old
        Assert.Equal(Enumerable.Range(10, 20).Select(Event), await store.ReadSegmentsAsync("s", "t"));
        await TickAsync(store);                    // minute 4: the cut of minute 2, across the scale
        Assert.Equal(Enumerable.Range(20, 10).Select(Event), await store.ReadSegmentsAsync("s", "t"));
        var info = await store.Streams.GetStreamInfoAsync("s", "t");
        Assert.All(info.Head.Positions.Keys, id => Assert.Equal(1, id >> 32));
    }
}
