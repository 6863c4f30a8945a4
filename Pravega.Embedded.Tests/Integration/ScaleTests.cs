using System.Diagnostics;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// The store at size (issue 7's must-shows), behind <c>Category=Scale</c> (minutes, gigabytes on disk; README.md):
/// 2 GiB through a 256 MiB Tier-1 bound, retention by size over both tiers, and 10,000 streams of 10 segments.
/// </summary>
[Trait("Category", "Scale")]
public sealed class ScaleTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Event(long i) => i.ToString("D10", CultureInfo.InvariantCulture) + new string('x', 1000);

    private static string Key(long i) => "k" + (i % 32).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Two_GiB_through_a_256_MiB_Tier1_bound_read_back_in_key_order_also_after_a_reopen()
    {
        const long Bound = 256L << 20, File = 32L << 20;
        long count = (2L << 30) / 1014;
        var options = _dir.Options(32 << 20) with { Tier1MaxBytes = Bound };
        long peak = 0;
        var watch = Stopwatch.StartNew();
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.CreateStreamAsync("s", "t", segments: 4);
            await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8))
            {
                var pending = new Queue<Task>();
                for (long i = 0; i < count; i++)
                {
                    pending.Enqueue(writer.WriteEventAsync(Key(i), Event(i)));
                    if (pending.Count >= 256) await pending.Dequeue();
                    if (i % 20_000 == 0) peak = Math.Max(peak, options.Tier1Directories.Max(m => DiskUsage.Bytes(m, "wal-*")));
                }
                while (pending.Count > 0) await pending.Dequeue();
            }
            output.WriteLine($"wrote {count:N0} events in {watch.Elapsed.TotalSeconds:N0} s; largest mirror seen {peak >> 20} MiB");
            // Tiering keeps up under this load: the log never went far beyond the bound, and never above it plus a file.
            Assert.True(peak <= Bound + File, $"a mirror held {peak >> 20} MiB");
            await ReadInKeyOrderAsync(store, count, "g1");
        }
        output.WriteLine($"Tier-2 holds {DiskUsage.Bytes(options.Tier2Directory!, "*.chunk") >> 20} MiB; mirrors {string.Join(", ", options.Tier1Directories.Select(m => DiskUsage.Bytes(m, "wal-*") >> 20))} MiB");
        foreach (string mirror in options.Tier1Directories) Assert.True(DiskUsage.Bytes(mirror, "wal-*") <= Bound + File, $"{mirror}: {DiskUsage.Bytes(mirror, "wal-*") >> 20} MiB");

        watch.Restart();
        await using (var store = await StreamStore.OpenAsync(options))
        {
            output.WriteLine($"reopened in {watch.ElapsedMilliseconds} ms, {store.Runtime.Container.IndexedEvents:N0} events indexed");
            await ReadInKeyOrderAsync(store, count, "g2");
        }
    }

    private static async Task ReadInKeyOrderAsync(StreamStore store, long count, string group)
    {
        await store.ReaderGroups.CreateReaderGroupAsync("s", group, ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", group, Serializers.Utf8);
        var last = new long[32];
        Array.Fill(last, -1);
        var seen = new bool[count];
        for (long read = 0; read < count; read++)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(30));
            Assert.True(e.HasEvent, $"only {read:N0} of {count:N0} events");
            long i = long.Parse(e.Event.AsSpan(0, 10), CultureInfo.InvariantCulture);
            Assert.False(seen[i], $"event {i} twice");
            seen[i] = true;
            Assert.True(i > last[i % 32], $"event {i} after {last[i % 32]} of its key");
            last[i % 32] = i;
        }
    }

    [Fact]
    public async Task Retention_by_size_keeps_both_tiers_within_a_small_multiple_of_what_it_keeps()
    {
        const long Keep = 64L << 20;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var options = _dir.Options(32 << 20) with { Tier1MaxBytes = 256L << 20, TimeProvider = clock, RetentionCheckInterval = TimeSpan.FromSeconds(10) };
        await using var store = await StreamStore.OpenAsync(options);
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2), RetentionPolicy = RetentionPolicy.BySize(Keep) });
        long peak = 0;
        await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8))
        {
            for (int round = 0; round < 64; round++) // 1 GiB in 16 MiB rounds, a retention pass after each
            {
                var pending = new List<Task>();
                for (int i = 0; i < 16_000; i++) pending.Add(writer.WriteEventAsync(Key(i), Event(i)));
                await Task.WhenAll(pending);
                clock.Advance(TimeSpan.FromSeconds(10));
                await store.Retention.WhenIdleAsync();
                long total = options.Tier1Directories.Sum(m => DiskUsage.Bytes(m, "wal-*")) / options.Tier1Directories.Count + DiskUsage.Bytes(options.Tier2Directory!, "*");
                peak = Math.Max(peak, total);
            }
        }
        output.WriteLine($"largest total (one mirror + Tier-2) {peak >> 20} MiB for {Keep >> 20} MiB kept");
        Assert.True(peak <= 6 * Keep, $"{peak >> 20} MiB on disk to keep {Keep >> 20} MiB");
        var info = await store.Streams.GetStreamInfoAsync("s", "t");
        long kept = info.Tail.Positions.Sum(p => p.Value - info.Head.Positions[p.Key]);
        Assert.InRange(kept, Keep, Keep + (2 * 1024));
    }

    [Fact]
    public async Task Ten_thousand_streams_of_ten_segments_open_write_and_reopen_within_bounded_memory()
    {
        const int Streams = 10_000, Segments = 10;
        var options = _dir.Options();
        var watch = Stopwatch.StartNew();
        long heapAfterWrite;
        await using (var store = await StreamStore.OpenAsync(options))
        {
            await store.Streams.CreateScopeAsync("s");
            for (int batch = 0; batch < Streams; batch += 500)
            {
                await Task.WhenAll(Enumerable.Range(batch, 500).Select(i =>
                    store.Streams.CreateStreamAsync("s", "t" + i.ToString(CultureInfo.InvariantCulture), new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(Segments) })));
            }
            output.WriteLine($"created {Streams:N0} streams ({Streams * Segments:N0} segments) in {watch.Elapsed.TotalSeconds:N1} s");
            watch.Restart();
            for (int batch = 0; batch < Streams; batch += 250)
            {
                var writes = new List<Task>();
                var writers = Enumerable.Range(batch, 250).Select(i => store.CreateEventWriter("s", "t" + i.ToString(CultureInfo.InvariantCulture), Serializers.Utf8)).ToList();
                foreach (var (writer, i) in writers.Select((w, j) => (w, batch + j)))
                    for (int k = 0; k < 3 * Segments; k++) writes.Add(writer.WriteEventAsync("key" + k.ToString(CultureInfo.InvariantCulture), $"{i}/{k}"));
                await Task.WhenAll(writes);
                foreach (var writer in writers) await writer.DisposeAsync();
            }
            heapAfterWrite = GC.GetTotalMemory(forceFullCollection: true);
            output.WriteLine($"wrote {3 * Segments * Streams:N0} events in {watch.Elapsed.TotalSeconds:N1} s; managed heap {heapAfterWrite >> 20} MiB, RSS {Environment.WorkingSet >> 20} MiB");
        }
        watch.Restart();
        await using (var store = await StreamStore.OpenAsync(options))
        {
            long heap = GC.GetTotalMemory(forceFullCollection: true);
            output.WriteLine($"reopened in {watch.ElapsedMilliseconds} ms; managed heap {heap >> 20} MiB, RSS {Environment.WorkingSet >> 20} MiB");
            // About 1.5 KiB per segment with its index, signal and metadata: far from the data's size or history.
            Assert.True(heap < 400L << 20, $"managed heap {heap >> 20} MiB after reopening 100,000 segments");
            foreach (int i in new[] { 0, 4_321, Streams - 1 })
            {
                var events = await store.ReadSegmentsAsync("s", "t" + i.ToString(CultureInfo.InvariantCulture));
                Assert.Equal(3 * Segments, events.Count);
                Assert.All(events, e => Assert.StartsWith(i.ToString(CultureInfo.InvariantCulture) + "/", e, StringComparison.Ordinal));
            }
        }
    }
}
