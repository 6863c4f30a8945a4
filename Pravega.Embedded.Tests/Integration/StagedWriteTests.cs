using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// A writer's stages (docs/DESIGN.md, "The writer's stages"): writes that came while another append was under way or the
/// log had no room are appended later, stage by stage, in call order, and a stage fails as a whole.
/// </summary>
public sealed class StagedWriteTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Staged_writes_to_a_stream_sealed_before_they_are_appended_all_fail_and_none_is_stored()
    {
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { WalMaxPendingBytes = 64 << 10 });
        await store.CreateStreamAsync("a", "s", segments: 2);
        await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8);
        string padding = new('x', 20 << 10); // events 0-3 fill the pending bound and are appended; 4-9 are staged
        var writes = new Task[10];
        Task seal;
        using (var gate = new DurabilityGate(store)) // nothing becomes durable: the bound stays full
        {
            for (int n = 0; n < writes.Length; n++) writes[n] = writer.WriteEventAsync($"k{n % 3}", $"{n}:{padding}");
            seal = store.Streams.SealStreamAsync("a", "s"); // its record goes in before the staged events get room
            await Task.Delay(100);
            Assert.All(writes, w => Assert.False(w.IsCompleted));
            gate.Open();
        }
        await seal;
        for (int n = 0; n < 4; n++) await writes[n];
        for (int n = 4; n < writes.Length; n++) await Assert.ThrowsAsync<StreamSealedException>(() => writes[n]);

        var stored = (await store.ReadAllAsync("a", "s", int.MaxValue)).Select(e => e.Event![..e.Event!.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal);
        Assert.Equal(["0", "1", "2", "3"], stored);
    }

    [Fact]
    public async Task Concurrent_callers_of_one_writer_keep_their_order_per_key_and_every_acknowledged_event_survives_a_reopen()
    {
        const int Callers = 16, PerCaller = 400;
        var options = _dir.Options() with { WalMaxPendingBytes = 256 << 10 }; // some writes wait for room, some go at once
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.CreateStreamAsync("a", "s", segments: 4);
            await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8);
            string padding = new('p', 500);
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
            {
                var pending = new List<Task>();
                for (int i = 0; i < PerCaller; i++)
                {
                    pending.Add(writer.WriteEventAsync($"caller{c}", $"{c}:{i}:{padding}"));
                    if (pending.Count == 32)
                    {
                        await Task.WhenAll(pending);
                        pending.Clear();
                    }
                }
                await Task.WhenAll(pending);
            })));
        }

        await using var reopened = await StreamStore.OpenAsync(options);
        var next = new int[Callers];
        foreach (var e in await reopened.ReadAllAsync("a", "s", Callers * PerCaller))
        {
            var parts = e.Event!.Split(':');
            int caller = int.Parse(parts[0], CultureInfo.InvariantCulture);
            Assert.Equal(next[caller]++, int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        Assert.All(next, n => Assert.Equal(PerCaller, n));
    }

    /// <summary>
    /// Batched appends (record 14): a stage of numbered events is appended as several batch records across segments,
    /// routed at append time (a scale that sealed a segment while they waited sends them to its successors), a number
    /// staged twice is stored once and answered as a duplicate, and the records give every event back after a reopen
    /// (replayed under the checkpoint the close takes).
    /// </summary>
    [Fact]
    public async Task A_stage_goes_out_as_batch_records_routed_when_appended_and_a_number_staged_twice_is_stored_once()
    {
        const int Numbered = 240;
        var options = _dir.Options() with { WalMaxPendingBytes = 64 << 10 };
        string padding = new('p', 900); // 240 of these are several 64 KiB records
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.CreateStreamAsync("a", "s", segments: 3);
            await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
            var writes = new List<Task<WriteResult>>();
            long recordsBefore = store.Runtime.Container.BatchRecords;
            Task scale;
            using (var gate = new DurabilityGate(store)) // nothing becomes durable: after the first event the log has no room
            {
                writes.Add(writer.WriteEventAsync("k0", $"0:{new string('x', 70 << 10)}", 0));
                for (int n = 1; n < Numbered; n++) writes.Add(writer.WriteEventAsync($"k{n % 5}", $"{n}:{padding}", n));
                writes.Add(writer.WriteEventAsync("k1", "again", 100)); // staged after its original: a duplicate
                var first = (await store.Streams.GetActiveSegmentsAsync("a", "s"))[0];
                double middle = (first.KeyRange.Low + first.KeyRange.High) / 2;
                scale = store.Streams.ScaleStreamAsync("a", "s", [first.SegmentId],
                    [new KeyRange(first.KeyRange.Low, middle), new KeyRange(middle, first.KeyRange.High)]);
                await Task.Delay(100);
                Assert.All(writes, w => Assert.False(w.IsCompleted));
                gate.Open();
            }
            await scale;
            var results = await Task.WhenAll(writes);
            Assert.Equal(WriteResult.Duplicate, results[^1]);
            Assert.All(results[..^1], r => Assert.Equal(WriteResult.Written, r));
            Assert.True(store.Runtime.Container.BatchRecords - recordsBefore >= 3, "the stage did not go out as several batch records");
            AssertHoldsEachOnceInKeyOrder(await store.ReadAllAsync("a", "s", Numbered));
            Assert.Equal(Numbered - 1, writer.LastEventNumber);
        }

        await using var reopened = await StreamStore.OpenAsync(options);
        AssertHoldsEachOnceInKeyOrder(await reopened.ReadAllAsync("a", "s", Numbered));
        await using var again = reopened.CreateEventWriter("a", "s", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
        Assert.Equal(WriteResult.Duplicate, await again.WriteEventAsync("k2", "late", Numbered - 1));

        static void AssertHoldsEachOnceInKeyOrder(List<EventRead<string>> events)
        {
            var numbers = events.Select(e => int.Parse(e.Event![..e.Event!.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(0, Numbered), numbers.Order());
            foreach (var key in numbers.GroupBy(n => n % 5)) Assert.Equal(key.Order(), key); // per key, in call order (0 is k0's)
        }
    }
}
