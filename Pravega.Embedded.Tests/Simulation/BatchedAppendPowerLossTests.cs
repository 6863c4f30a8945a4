using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Batched appends (record 14, docs/FORMAT.md) against crashes and power failures at any device change: one writer with
/// a fixed id writes numbered events, most of them staged (the first ones while nothing becomes durable, the rest when
/// callers find the log's small pending bound full) and appended as batch records across three segments, while the
/// process dies at a seeded point. The reopened store
/// holds every acknowledged event once, and what it holds is a prefix of the calls (a writer's durability is
/// prefix-closed across segments, batched or not); the writer's last event number is that prefix's last, and sending
/// every event again stores each missing one once and answers the rest as duplicates.
/// </summary>
public sealed class BatchedAppendPowerLossTests
{
    private static readonly string[] Mirrors = ["/ba/tier1-0", "/ba/tier1-1", "/ba/tier1-2"];
    private const int Events = 1500, WarmUp = 200;
    private const string WriterId = "batched";

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 24)];

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = null,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 256 << 10,
        WalMaxPendingBytes = 4 << 10,
        Device = process,
    };

    private static string Event(int n, Random padding) =>
        n.ToString("D5", CultureInfo.InvariantCulture) + ":" + new string('p', padding.Next(0, 400));

    private static int NumberOf(string e) => int.Parse(e.AsSpan(0, 5), CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task What_survives_is_a_prefix_of_the_calls_holding_every_acknowledged_event_once(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 7));
        var process = new SimulatedProcess(device);
        var calls = new List<Task<WriteResult>>();
        var store = await StreamStore.OpenAsync(Options(process));
        await SimulatedFailure.RunUntilDeathAsync(device, store, async () =>
        {
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(3) });
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = WriterId });
            var padding = new Random(seed);
            using (var gate = new Integration.DurabilityGate(store)) // the first calls: all but a few staged, then batched
            {
                for (int n = 0; n < WarmUp; n++) calls.Add(writer.WriteEventAsync($"k{n % 7}", Event(n, padding), n));
                gate.Open();
            }
            await Task.WhenAll(calls);
            Assert.True(store.Runtime.Container.BatchRecords > 0, "no batch record: the test does not test batching");
            SimulatedFailure.Arm(device, process, rng, 1, 300);
            try
            {
                for (int n = WarmUp; n < Events; n++)
                {
                    calls.Add(writer.WriteEventAsync($"k{n % 7}", Event(n, padding), n));
                    if (n >= 128) await calls[n - 128]; // 128 in flight
                }
                await Task.WhenAll(calls);
            }
            finally
            {
                await Task.WhenAny(Task.WhenAll(calls), Task.Delay(TimeSpan.FromSeconds(30))); // every call has its answer
            }
        });
        var acked = Enumerable.Range(0, calls.Count).Where(n => calls[n].IsCompletedSuccessfully).ToList();

        await using var reopened = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        var present = await ReadNumbersAsync(reopened);
        Assert.Equal(Enumerable.Range(0, present.Count), present); // a prefix of the calls, each once
        var missing = acked.Where(n => n >= present.Count).ToList();
        Assert.True(missing.Count == 0, $"acknowledged but gone: {string.Join(", ", missing.Take(20))}");

        await using (var writer = reopened.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = WriterId }))
        {
            await writer.FlushAsync(); // resolves the stream: the writer knows its state from then on
            Assert.Equal(present.Count - 1, writer.LastEventNumber);
            var padding = new Random(seed);
            var again = new List<Task<WriteResult>>();
            for (int n = 0; n < Events; n++) again.Add(writer.WriteEventAsync($"k{n % 7}", Event(n, padding), n));
            var results = await Task.WhenAll(again);
            for (int n = 0; n < Events; n++) Assert.Equal(n < present.Count ? WriteResult.Duplicate : WriteResult.Written, results[n]);
        }
        Assert.Equal(Enumerable.Range(0, Events), await ReadNumbersAsync(reopened));
    }

    /// <summary>Every event's number, from all segments, in order (each segment holds its keys' events in call order).</summary>
    private static async Task<List<int>> ReadNumbersAsync(StreamStore store)
    {
        var numbers = new List<int>();
        await foreach (var range in store.Batch.ListSegmentsAsync("s", "t"))
        {
            int previous = -1;
            await foreach (var e in store.Batch.ReadSegmentAsync(range, Serializers.Utf8))
            {
                int n = NumberOf(e);
                Assert.True(n > previous, $"segment {range.SegmentId}: {n} after {previous}");
                numbers.Add(previous = n);
            }
        }
        numbers.Sort();
        return numbers;
    }
}
