using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Controller;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Scaling;

/// <summary>
/// The auto-scaler on a fake clock with Pravega's default periods (10-second checks, 10-minute cooldown, averages over
/// 2 to 20 minutes): the test writes a given rate between ticks, so every rate is exact and nothing sleeps.
/// </summary>
public sealed class AutoScalingTests : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private Task<StreamStore> OpenAsync() => StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock });

    private static async Task CreateAsync(StreamStore store, ScalingPolicy policy)
    {
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = policy });
    }

    /// <summary>Keys whose points lie in [low, high) of the key space.</summary>
    private static string[] KeysIn(double low, double high, int count) =>
        [.. Enumerable.Range(0, 100_000).Select(i => "key-" + i).Where(k => KeySpace.Point(k) >= low && KeySpace.Point(k) < high).Take(count)];

    private static readonly string[] AllKeys = KeysIn(0, 1, 64);

    /// <summary>Writes <paramref name="eventsPerSecond"/> over <paramref name="keys"/> for each tick of <paramref name="duration"/>, then advances the clock.</summary>
    private async Task RunAsync(StreamStore store, TimeSpan duration, int eventsPerSecond, string[]? keys = null, int eventBytes = 8)
    {
        keys ??= AllKeys;
        string payload = new('x', eventBytes);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        for (var t = TimeSpan.Zero; t < duration; t += Tick)
        {
            var pending = new List<Task>();
            for (int i = 0; i < eventsPerSecond * Tick.TotalSeconds; i++) pending.Add(writer.WriteEventAsync(keys[i % keys.Length], payload));
            await Task.WhenAll(pending);
            _clock.Advance(Tick);
        }
    }

    private static async Task<IReadOnlyList<SegmentRange>> ActiveAsync(StreamStore store) => await store.Streams.GetActiveSegmentsAsync("s", "t");

    [Fact]
    public async Task A_sustained_hot_load_splits_the_segment_into_scale_factor_parts_and_is_logged_and_counted()
    {
        long splits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Pravega.Embedded" && instrument.Name == "pravega.autoscale.scales") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "kind", Value: "split" }) Interlocked.Add(ref splits, value);
        });
        listener.Start();

        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 20, scaleFactor: 3, minSegments: 1));
        await RunAsync(store, TimeSpan.FromMinutes(9), eventsPerSecond: 60);
        Assert.Single(await ActiveAsync(store)); // hot, but younger than the cooldown

        await RunAsync(store, TimeSpan.FromMinutes(3), eventsPerSecond: 60);
        var active = await ActiveAsync(store);
        Assert.Equal(3, active.Count);
        Assert.All(active, a => Assert.Equal(1, a.SegmentId >> 32));
        Assert.True(Interlocked.Read(ref splits) >= 1);
    }

    [Fact]
    public async Task A_short_burst_does_not_split()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 20, scaleFactor: 2, minSegments: 1));
        await RunAsync(store, TimeSpan.FromMinutes(11), eventsPerSecond: 5);
        await RunAsync(store, TimeSpan.FromSeconds(20), eventsPerSecond: 200); // ten times the target, for 20 seconds
        await RunAsync(store, TimeSpan.FromMinutes(15), eventsPerSecond: 5);
        Assert.Single(await ActiveAsync(store));
    }

    [Fact]
    public async Task Cold_adjacent_segments_merge_one_pair_per_cooldown_down_to_the_minimum()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 100, scaleFactor: 2, minSegments: 4));
        await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.ByEventRate(100, 2, 2) });
        Assert.Equal(4, (await ActiveAsync(store)).Count);

        await RunAsync(store, TimeSpan.FromMinutes(11), eventsPerSecond: 4);
        Assert.Equal(3, (await ActiveAsync(store)).Count);
        await RunAsync(store, TimeSpan.FromMinutes(11), eventsPerSecond: 4);
        Assert.Equal(2, (await ActiveAsync(store)).Count);
        await RunAsync(store, TimeSpan.FromMinutes(30), eventsPerSecond: 0);
        var active = await ActiveAsync(store);
        Assert.Equal(2, active.Count); // never below the minimum
        Assert.Equal(0, active[0].KeyRange.Low);
        Assert.Equal(active[0].KeyRange.High, active[1].KeyRange.Low);
        Assert.Equal(1, active[1].KeyRange.High);
    }

    [Fact]
    public async Task Segments_between_half_the_target_and_the_target_are_neither_split_nor_merged()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 10, scaleFactor: 2, minSegments: 2));
        await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.ByEventRate(10, 2, 1) });
        await RunAsync(store, TimeSpan.FromMinutes(40), eventsPerSecond: 14); // about 7 per segment
        Assert.Equal(2, (await ActiveAsync(store)).Count);
    }

    [Fact]
    public async Task A_hot_key_range_ends_up_in_more_segments_than_a_cold_one()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 10, scaleFactor: 2, minSegments: 2));
        string[] hot = KeysIn(0, 0.5, 32);
        await RunAsync(store, TimeSpan.FromMinutes(45), eventsPerSecond: 60, hot);
        var active = await ActiveAsync(store);
        int inHot = active.Count(a => a.KeyRange.High <= 0.5), inCold = active.Count(a => a.KeyRange.Low >= 0.5);
        Assert.True(inHot >= 3, $"{inHot} segments over the hot half");
        Assert.Equal(1, inCold);
    }

    [Fact]
    public async Task Data_rate_policies_split_on_bytes_not_events()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByDataRate(targetKiBPerSecond: 8, scaleFactor: 2, minSegments: 1));
        await RunAsync(store, TimeSpan.FromMinutes(12), eventsPerSecond: 4, eventBytes: 8 * 1024); // 32 KiB/s: 4x
        Assert.Equal(2, (await ActiveAsync(store)).Count);
    }

    [Fact]
    public async Task One_long_advance_of_the_clock_is_one_sample_over_the_whole_span()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 1, scaleFactor: 2, minSegments: 1));
        await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8))
        {
            var pending = new List<Task>();
            for (int i = 0; i < 6600; i++) pending.Add(writer.WriteEventAsync(AllKeys[i % AllKeys.Length], "x")); // 10/s over 11 minutes
            await Task.WhenAll(pending);
        }
        _clock.Advance(TimeSpan.FromMinutes(11)); // every check of the span fires at its end: the first sees it all
        Assert.Equal(2, (await ActiveAsync(store)).Count);
    }

    [Fact]
    public async Task Decisions_survive_reopen_and_are_not_made_again()
    {
        await using (var store = await OpenAsync())
        {
            await CreateAsync(store, ScalingPolicy.ByEventRate(targetEventsPerSecond: 20, scaleFactor: 2, minSegments: 1));
            await RunAsync(store, TimeSpan.FromMinutes(12), eventsPerSecond: 60);
            Assert.Equal(2, (await ActiveAsync(store)).Count);
        }
        await using (var store = await OpenAsync())
        {
            var active = await ActiveAsync(store);
            Assert.Equal([SegmentKey.ComputeSegmentId(1, 1), SegmentKey.ComputeSegmentId(1, 2)], active.Select(a => a.SegmentId));
            await RunAsync(store, TimeSpan.FromMinutes(5), eventsPerSecond: 60); // rates start again: within the cooldown
            Assert.Equal(2, (await ActiveAsync(store)).Count);
            Assert.Equal(12 * 6 * 600 + (5 * 6 * 600), (await store.ReadAllAsync("s", "t", int.MaxValue)).Count);
        }
    }

    [Fact]
    public async Task Fixed_streams_are_never_scaled_automatically()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, ScalingPolicy.Fixed(1));
        await RunAsync(store, TimeSpan.FromMinutes(15), eventsPerSecond: 50);
        Assert.Single(await ActiveAsync(store));
        // Under a rate policy, rates are measured from the change on, and the segment's cooldown starts then.
        await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.ByEventRate(20, 2, 1) });
        await RunAsync(store, TimeSpan.FromMinutes(9), eventsPerSecond: 50);
        Assert.Single(await ActiveAsync(store));
        await RunAsync(store, TimeSpan.FromMinutes(3), eventsPerSecond: 50);
        Assert.Equal(2, (await ActiveAsync(store)).Count);
    }
}
