using System.Globalization;
using Pravega.Embedded.SegmentStore;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// A Tier-2 failure is fail-stop for the segment it hit and loses nothing: a chunk sync that fails (EIO) stops tiering of
/// that segment until the store is reopened (the sync is never retried), its bytes stay in the WAL and readable, the
/// other segments go on tiering, and after a reopen the orphaned chunk is swept and tiering resumes from what was
/// committed. Stepped log, simulated device.
/// </summary>
public sealed class TieringFaultTests
{
    private static readonly string[] Mirrors = ["/tf/tier1-0", "/tf/tier1-1", "/tf/tier1-2"];
    private const string Tier2 = "/tf/tier2";

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = Tier2,
        Tier1MaxBytes = 256 << 10,
        Tier2ChunkSize = 16 << 10,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 64 << 10,
        Device = process,
        SteppedLog = true,
    };

    private static string Event(int i) => "e" + i.ToString("D5", CultureInfo.InvariantCulture) + new string('p', 300);

    private static async Task SettleAsync(StreamStore store, Task task)
    {
        var log = store.Runtime.Container.Log;
        while (!task.IsCompleted && log.CommitNext())
        {
        }
        await task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static async Task<T> SettleAsync<T>(StreamStore store, Task<T> task)
    {
        await SettleAsync(store, (Task)task);
        return await task;
    }

    /// <summary>Tiering rounds, with commits, until a round does nothing.</summary>
    private static async Task TierAsync(StreamStore store)
    {
        var tierer = store.Runtime.Container.Tierer!;
        for (int round = 0; round < 100; round++)
        {
            bool worked = await SettleAsync(store, tierer.RunOnceAsync(CancellationToken.None));
            while (store.Runtime.Container.Log.CommitNext())
            {
            }
            if (!worked) return;
        }
    }

    private static async Task WriteAsync(StreamStore store, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        var writes = new List<Task>();
        for (int i = from; i < from + count; i++) writes.Add(writer.WriteEventAsync($"k{i % 5}", Event(i)));
        await SettleAsync(store, Task.WhenAll(writes));
        await SettleAsync(store, writer.FlushAsync());
    }

    private static async Task<List<string>> ReadAllAsync(StreamStore store)
    {
        var events = new List<string>();
        await foreach (var range in store.Batch.ListSegmentsAsync("s", "t"))
        {
            var reading = store.Batch.ReadSegmentAsync(range, Serializers.Utf8).GetAsyncEnumerator();
            while (await SettleAsync(store, reading.MoveNextAsync().AsTask())) events.Add(reading.Current);
            await reading.DisposeAsync();
        }
        events.Sort(StringComparer.Ordinal);
        return events;
    }

    private static (long Tiered, long Durable)[] Segments(StreamStore store)
    {
        var container = store.Runtime.Container;
        lock (container.Lock) return [.. container.AllSegments.OrderBy(s => s.SegmentId).Select(s => (s.TieredLength, s.DurableLength))];
    }

    [Fact]
    public async Task A_failed_chunk_sync_stops_that_segment_only_loses_nothing_and_tiering_resumes_after_a_reopen()
    {
        var device = new SimulatedDevice(new Random(11));
        var expected = Enumerable.Range(0, 1400).Select(Event).Order(StringComparer.Ordinal).ToList();
        var store = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        try
        {
            await SettleAsync(store, store.Streams.CreateScopeAsync("s"));
            await SettleAsync(store, store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) }));
            await TierAsync(store); // the first round: manifests loaded, sweep (nothing yet)
            // The first sync of a chunk of segment 0 fails.
            device.FailFlush(p => p.StartsWith(Tier2 + "/", StringComparison.Ordinal) && p.Contains("-0/", StringComparison.Ordinal) && p.EndsWith(".chunk", StringComparison.Ordinal));
            await WriteAsync(store, 0, 1200);
            await TierAsync(store);
            var segments = Segments(store);
            Assert.Equal(0, segments[0].Tiered); // its writer failed: nothing of it is tiered, nothing retried
            Assert.True(segments[1].Tiered > 0, "the other segment was not tiered");

            await WriteAsync(store, 1200, 200);
            await TierAsync(store);
            Assert.Equal(0, Segments(store)[0].Tiered);
            Assert.Equal(expected, await ReadAllAsync(store)); // segment 0's bytes are all still in the WAL
        }
        finally
        {
            await SettleAsync(store, store.DisposeAsync().AsTask());
        }

        store = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        try
        {
            await TierAsync(store); // sweeps the failed pass's chunk, then tiers segment 0 from its start
            Assert.True(Segments(store)[0].Tiered > 0, "tiering of segment 0 did not resume after the reopen");
            var chunks = device.Files().Where(f => f.VolatileLength is not null && f.Path.StartsWith(Tier2 + "/", StringComparison.Ordinal) && f.Path.EndsWith(".chunk", StringComparison.Ordinal)).Select(f => f.Path).ToList();
            var referenced = store.Runtime.Container.AllSegments.SelectMany(s => s.View?.Extents ?? []).Select(e => Tier2 + "/" + e.Chunk).ToHashSet();
            Assert.All(chunks, c => Assert.Contains(c, referenced));
            Assert.Equal(expected, await ReadAllAsync(store));
        }
        finally
        {
            await SettleAsync(store, store.DisposeAsync().AsTask());
        }
    }
}
