using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Checkpoints, WAL file drops and recycling against crashes and power failures at any device change: after truncation
/// frees the old files, writing on makes the store checkpoint and drop them (keeping two as spares, then overwritten as
/// new log files) while the process dies at a seeded point; the reopened store holds every acknowledged event written
/// after the cut, nothing from before it (whose frames are still in the recycled files), and its head at the cut.
/// </summary>
public sealed class CheckpointPowerLossTests
{
    private static readonly string[] Mirrors = ["/cp/tier1-0", "/cp/tier1-1", "/cp/tier1-2"];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 24)];

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = null,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 64 << 10,
        Device = process,
    };

    private static string Event(int i) => "e" + i.ToString("D5", CultureInfo.InvariantCulture) + new string('p', 300);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_acknowledged_event_after_the_cut_survives_a_failure_while_files_are_dropped(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 7));
        var process = new SimulatedProcess(device);
        var acked = new HashSet<string>(StringComparer.Ordinal);
        var attempted = new HashSet<string>(StringComparer.Ordinal);
        StreamCut cut;
        int recycled;
        var store = await StreamStore.OpenAsync(Options(process));
        try
        {
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
            await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8))
                for (int i = 0; i < 800; i++) await writer.WriteEventAsync($"k{i % 5}", Event(i)); // ~4 files
            cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await store.Streams.TruncateStreamAsync("s", "t", cut);

            SimulatedFailure.Arm(device, process, rng, 1, 400);
            try
            {
                await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
                for (int i = 800; i < 2000; i++)
                {
                    attempted.Add(Event(i));
                    await writer.WriteEventAsync($"k{i % 5}", Event(i));
                    acked.Add(Event(i));
                }
            }
            catch (IOException)
            {
                // the process died
            }
        }
        finally
        {
            device.Mutated = null;
            recycled = store.Runtime.Container.Log.RecycledFiles;
            try
            {
                await store.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }

        await using var reopened = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        Assert.Equal(cut.Positions, (await reopened.Streams.GetStreamInfoAsync("s", "t")).Head.Positions);
        var present = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var range in reopened.Batch.ListSegmentsAsync("s", "t"))
            await foreach (var e in reopened.Batch.ReadSegmentAsync(range, Serializers.Utf8))
                Assert.True(present.Add(e), $"{e[..6]} read twice");
        var missing = acked.Where(e => !present.Contains(e)).Select(e => e[..6]).ToList();
        Assert.True(missing.Count == 0, $"acknowledged but gone: {string.Join(", ", missing.Take(20))}");
        var unexpected = present.Where(e => !attempted.Contains(e)).Select(e => e[..6]).Order(StringComparer.Ordinal).ToList();
        Assert.True(unexpected.Count == 0, $"never written after the cut: {string.Join(", ", unexpected.Take(20))} ({unexpected.Count})"); // nothing from before the cut
        foreach (string mirror in Mirrors)
            Assert.DoesNotContain(device.ListFiles(mirror), n => n == "wal-0000000001.log" && acked.Count == 1200); // a full run dropped the first file
        if (acked.Count == 1200) Assert.True(recycled > 0, "a full run recycled no dropped file");
    }
}
