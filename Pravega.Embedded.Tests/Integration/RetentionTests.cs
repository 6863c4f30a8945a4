using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// Retention policies applied on the store's timer, driven by a fake clock (no sleeps): after each
/// <see cref="FakeTimeProvider.Advance"/> the test waits for the pass the tick started.
/// </summary>
public sealed class RetentionTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    /// <summary>16 UTF-8 bytes, so 20 bytes in a segment with its length prefix.</summary>
    private static string Event(int i) => "event-" + i.ToString("D10", CultureInfo.InvariantCulture);

    private const int EventBytes = 20;

    private Task<StreamStore> OpenAsync() =>
        StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock, RetentionCheckInterval = Interval });

    private async Task TickAsync(StreamStore store)
    {
        _clock.Advance(Interval);
        await store.Retention.WhenIdleAsync();
    }

    private static async Task CreateAsync(StreamStore store, string stream, int segments, RetentionPolicy? policy)
    {
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments), RetentionPolicy = policy });
    }

    private static async Task WriteAsync(StreamStore store, string stream, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        for (int i = from; i < from + count; i++) await writer.WriteEventAsync($"k{i % 16}", Event(i));
    }

    private static async Task<long> RemainingAsync(StreamStore store, string stream)
    {
        var info = await store.Streams.GetStreamInfoAsync("s", stream);
        return info.Tail.Positions.Sum(p => p.Value - info.Head.Positions[p.Key]);
    }

    [Fact]
    public async Task By_time_truncates_at_the_newest_recorded_cut_older_than_the_kept_span_also_after_reopen()
    {
        var keep = TimeSpan.FromMinutes(5);
        await using (var store = await OpenAsync())
        {
            await CreateAsync(store, "t", 2, RetentionPolicy.ByTime(keep));
            // Minute m (0..5) writes batch m, then the clock ticks: the pass at minute m+1 records the tail after batch m.
            for (int m = 0; m < 6; m++)
            {
                await WriteAsync(store, "t", m * 10, 10);
                await TickAsync(store);
                if (m < 5) Assert.Equal(0, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions.Values.Sum());
            }
            // Minute 6: the cut recorded at minute 1 (after batch 0) is 5 minutes old: batch 0 goes.
            Assert.Equal(Enumerable.Range(10, 50).Select(Event), await store.ReadSegmentsAsync("s", "t"));

            // An idle stream records no new cut: the older, tighter time stands.
            await TickAsync(store);
            Assert.Equal(Enumerable.Range(20, 40).Select(Event), await store.ReadSegmentsAsync("s", "t"));
        }

        // The recorded cuts are metadata records: after reopen, retention goes on from them.
        await using (var store = await OpenAsync())
        {
            Assert.Equal(Enumerable.Range(20, 40).Select(Event), await store.ReadSegmentsAsync("s", "t"));
            await TickAsync(store); // minute 8: the cut of minute 3 (after batch 2)
            Assert.Equal(Enumerable.Range(30, 30).Select(Event), await store.ReadSegmentsAsync("s", "t"));
            for (int i = 0; i < 10; i++) await TickAsync(store);
            Assert.Empty(await store.ReadSegmentsAsync("s", "t"));
            Assert.Equal(0, await RemainingAsync(store, "t"));
        }
    }

    [Fact]
    public async Task By_size_keeps_at_least_the_bytes_and_at_most_one_event_per_segment_more()
    {
        const long Keep = 1000;
        await using var store = await OpenAsync();
        await CreateAsync(store, "t", 4, RetentionPolicy.BySize(Keep));
        await WriteAsync(store, "t", 0, 40); // 800 bytes: under the policy
        await TickAsync(store);
        Assert.Equal(40 * EventBytes, await RemainingAsync(store, "t"));

        await WriteAsync(store, "t", 40, 160);
        await TickAsync(store);
        long remaining = await RemainingAsync(store, "t");
        Assert.InRange(remaining, Keep, Keep + (4 * EventBytes));
        var events = await store.ReadSegmentsAsync("s", "t");
        Assert.Equal(remaining / EventBytes, events.Count);

        // What remains is the latest part of each segment: per key, a suffix of what was written.
        var byKey = events.Select(e => int.Parse(e[6..], CultureInfo.InvariantCulture)).GroupBy(i => i % 16);
        foreach (var key in byKey)
        {
            int first = key.Min();
            Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 16 == key.Key && i >= first), key.Order());
        }

        await WriteAsync(store, "t", 200, 100);
        await TickAsync(store);
        Assert.InRange(await RemainingAsync(store, "t"), Keep, Keep + (4 * EventBytes));
    }

    /// <summary>
    /// Issue 7's measurement in small: retention by size used to free nothing on disk (the WAL kept every byte). Now the
    /// truncated WAL files go at the next checkpoint, so a stream fed 20 times its kept size leaves each mirror with the
    /// kept bytes, what arrives between two retention passes, and a few log files.
    /// </summary>
    [Fact]
    public async Task By_size_keeps_the_disk_bounded_as_well()
    {
        const int FileSize = 256 << 10, Keep = 512 << 10;
        var options = _dir.Options(FileSize) with { TimeProvider = _clock, RetentionCheckInterval = Interval };
        long peak = 0;
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await CreateAsync(store, "t", 2, RetentionPolicy.BySize(Keep));
            string padding = new('v', 1000);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
            for (int round = 0; round < 20; round++)
            {
                var pending = new List<Task>();
                for (int i = 0; i < 500; i++) pending.Add(writer.WriteEventAsync($"k{i % 16}", padding)); // ~0.5 MiB per pass
                await Task.WhenAll(pending);
                await TickAsync(store);
                await store.Runtime.Container.WhenCheckpointIdle(); // the truncation's checkpoint has dropped what it freed
                foreach (string mirror in options.Tier1Directories) peak = Math.Max(peak, WalBytes(mirror));
            }
            Assert.InRange(await RemainingAsync(store, "t"), Keep, Keep + (2 * 1004));
        }
        // Per mirror: the kept bytes and one pass's arrivals (truncation happens at passes; ~1,100 bytes of WAL per event),
        // a partly used file at each end, the one prepared ahead, and one more while the checkpoint after a truncation
        // drops the files it freed. Before: 10 MiB, everything written.
        const long Bound = Keep + (500 * 1100) + (5L * FileSize);
        Assert.InRange(peak, 0, Bound);
        foreach (string mirror in options.Tier1Directories) Assert.InRange(WalBytes(mirror), 0, Bound);

        await using (var store = await StreamStore.OpenAsync(options))
            Assert.InRange(await RemainingAsync(store, "t"), Keep, Keep + (2 * 1004));
    }

    private static long WalBytes(string mirror) => DiskUsage.Bytes(mirror, "wal-*");

    [Fact]
    public async Task By_size_applies_after_reopen_and_not_to_sealed_streams()
    {
        await using (var store = await OpenAsync())
        {
            await CreateAsync(store, "t", 2, RetentionPolicy.BySize(200));
            await store.Streams.CreateStreamAsync("s", "sealed", new StreamConfiguration { RetentionPolicy = RetentionPolicy.BySize(200) });
            await WriteAsync(store, "t", 0, 100);
            await WriteAsync(store, "sealed", 0, 100);
            await store.Streams.SealStreamAsync("s", "sealed");
        }

        await using (var store = await OpenAsync())
        {
            await TickAsync(store);
            Assert.InRange(await RemainingAsync(store, "t"), 200, 200 + (2 * EventBytes));
            Assert.Equal(100 * EventBytes, await RemainingAsync(store, "sealed"));
        }

        await using (var store = await OpenAsync())
        {
            Assert.InRange(await RemainingAsync(store, "t"), 200, 200 + (2 * EventBytes));
        }
    }

    [Fact]
    public async Task A_policy_added_by_update_applies_and_removing_it_stops_retention()
    {
        await using var store = await OpenAsync();
        await CreateAsync(store, "t", 1, null);
        await WriteAsync(store, "t", 0, 50);
        await TickAsync(store);
        Assert.Equal(50 * EventBytes, await RemainingAsync(store, "t"));

        await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { RetentionPolicy = RetentionPolicy.BySize(10 * EventBytes) });
        await TickAsync(store);
        Assert.Equal(Enumerable.Range(40, 10).Select(Event), await store.ReadSegmentsAsync("s", "t"));

        await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration());
        await WriteAsync(store, "t", 50, 50);
        await TickAsync(store);
        Assert.Equal(60 * EventBytes, await RemainingAsync(store, "t"));
    }

    [Fact]
    public async Task An_infinite_interval_never_applies_retention_and_disposing_stops_the_timer()
    {
        await using (var store = await StreamStore.OpenAsync(_dir.Options() with { TimeProvider = _clock, RetentionCheckInterval = Timeout.InfiniteTimeSpan }))
        {
            await CreateAsync(store, "t", 1, RetentionPolicy.BySize(EventBytes));
            await WriteAsync(store, "t", 0, 10);
            _clock.Advance(TimeSpan.FromDays(1));
            await store.Retention.WhenIdleAsync();
            Assert.Equal(10 * EventBytes, await RemainingAsync(store, "t"));
        }

        var disposed = await OpenAsync();
        await disposed.DisposeAsync();
        _clock.Advance(TimeSpan.FromDays(1)); // no pass runs on a disposed store
        await disposed.Retention.WhenIdleAsync();
    }
}
