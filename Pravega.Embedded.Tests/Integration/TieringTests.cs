using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// Tier-2 through the public API: data moves out of the WAL into chunks and is read back the same from either tier,
/// also after a reopen; the mirrors stay within <see cref="StreamStoreOptions.Tier1MaxBytes"/> plus one file once tiering
/// caught up; truncation and deletion remove Tier-2 data; orphans go at open.
/// </summary>
public sealed class TieringTests : IDisposable
{
    private const int WalFile = 256 << 10;
    private const long Tier1Max = 1 << 20; // four files: tiering starts when the log passes two
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StreamStoreOptions Options => _dir.Options(WalFile) with { Tier1MaxBytes = Tier1Max, Tier2ChunkSize = 512 << 10 };

    private string Tier2 => Options.Tier2Directory!;

    private string[] Mirrors => [.. Options.Tier1Directories];

    /// <summary>Mostly small events, every 97th one of 100 kB, so events cross the 1 MiB Tier-2 blocks.</summary>
    private static string Event(int i) =>
        "e-" + i.ToString("D6", CultureInfo.InvariantCulture) + "-" + new string((char)('a' + (i % 26)), i % 97 == 0 ? 100_000 : 100 + (i % 400));

    private static string Key(int i) => "k" + (i % 11).ToString(CultureInfo.InvariantCulture);

    private static async Task WriteAsync(StreamStore store, string stream, int from, int count)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++)
        {
            pending.Add(writer.WriteEventAsync(Key(i), Event(i)));
            if (pending.Count == 64)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }

    private static long WalBytes(string mirror) => DiskUsage.Bytes(mirror, "wal-*");

    private int Chunks(string? under = null) =>
        Directory.Exists(under ?? Tier2) ? Directory.GetFiles(under ?? Tier2, "*.chunk", SearchOption.AllDirectories).Length : 0;

    /// <summary>Tiering caught up: every mirror within the bound plus one file, and most bytes tiered.</summary>
    private async Task CaughtUpAsync(StreamStore store)
    {
        var container = store.Runtime.Container;
        for (int attempt = 0; attempt < 600; attempt++)
        {
            long durable = 0, tiered = 0;
            lock (container.Lock)
            {
                foreach (var s in container.AllSegments)
                {
                    durable += s.DurableLength;
                    tiered += s.TieredLength;
                }
            }
            if (tiered * 2 > durable && Mirrors.All(m => WalBytes(m) <= Tier1Max + WalFile)) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Tiering did not catch up: WAL bytes per mirror {string.Join(", ", Mirrors.Select(WalBytes))}.");
    }

    /// <summary>A one-segment stream given <paramref name="count"/> events, tiering caught up, the store closed.</summary>
    private async Task WriteTieredAndCloseAsync(int count)
    {
        await using var store = await StreamStore.OpenAsync(Options);
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, count);
        await CaughtUpAsync(store);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (int attempt = 0; attempt < 600 && !condition(); attempt++) await Task.Delay(50);
        Assert.True(condition(), what);
    }

    private static void AssertKeyOrder(IEnumerable<string> events)
    {
        var last = new Dictionary<string, int>();
        foreach (string e in events)
        {
            int i = int.Parse(e.AsSpan(2, 6), CultureInfo.InvariantCulture);
            string key = Key(i);
            Assert.True(!last.TryGetValue(key, out int before) || before < i, $"{key}: event {i} after {before}");
            last[key] = i;
        }
    }

    [Fact]
    public async Task Tiered_events_read_back_in_key_order_through_readers_batch_and_pointers_also_after_a_reopen()
    {
        const int count = 6000;
        var expected = Enumerable.Range(0, count).Select(Event).Order(StringComparer.Ordinal).ToList();
        EventPointer first;
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.CreateStreamAsync("s", "t", segments: 3);
            await WriteAsync(store, "t", 0, count);
            await CaughtUpAsync(store);
            Assert.True(Chunks() > 0, "no chunk in Tier-2");
            Assert.True(store.Runtime.Container.IndexedEvents < count / 2, $"{store.Runtime.Container.IndexedEvents} events still indexed");

            var read = await store.ReadAllAsync("s", "t", count);
            Assert.Equal(expected, read.Select(e => e.Event!).Order(StringComparer.Ordinal));
            AssertKeyOrder(read.Select(e => e.Event!));
            Assert.Equal(expected, await store.ReadSegmentsAsync("s", "t"));
            first = read[0].EventPointer!;
            Assert.Equal(read[0].Event, await store.FetchEventAsync(first, Serializers.Utf8));
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            Assert.Equal(Event(int.Parse(Event(0).AsSpan(2, 6), CultureInfo.InvariantCulture)), Event(0));
            var read = await store.ReadAllAsync("s", "t", count);
            Assert.Equal(expected, read.Select(e => e.Event!).Order(StringComparer.Ordinal));
            AssertKeyOrder(read.Select(e => e.Event!));
            Assert.Equal(expected, await store.ReadSegmentsAsync("s", "t"));
            string fetched = await store.FetchEventAsync(first, Serializers.Utf8);
            Assert.StartsWith("e-", fetched, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_mirror_stays_within_Tier1MaxBytes_plus_one_file_once_tiering_caught_up()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        await store.CreateStreamAsync("s", "t", segments: 2);
        for (int round = 0; round < 5; round++)
        {
            await WriteAsync(store, "t", round * 2000, 2000); // ~1 MB a round: the log passes its bound each time
            await CaughtUpAsync(store);
            foreach (string mirror in Mirrors)
                Assert.True(WalBytes(mirror) <= Tier1Max + WalFile, $"round {round}: {WalBytes(mirror)} WAL bytes in a mirror");
        }
        Assert.Equal(10_000, (await store.ReadSegmentsAsync("s", "t")).Count);
    }

    [Fact]
    public async Task A_truncation_in_tiered_bytes_is_checked_in_Tier2_and_removes_the_chunks_before_it()
    {
        const int count = 6000;
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await WriteAsync(store, "t", 0, count);
            await CaughtUpAsync(store);
            var read = await store.ReadAllAsync("s", "t", count);
            var middle = read[count / 2].EventPointer!;
            Assert.True(middle.Offset < store.Runtime.Container.AllSegments.Single().TieredLength, "the cut is meant to be in tiered bytes");
            long segmentId = middle.Segment.SegmentId;
            var inside = new StreamCut("s", "t", new Dictionary<long, long> { [segmentId] = middle.Offset + 1 });
            await Assert.ThrowsAsync<ArgumentException>(() => store.Streams.TruncateStreamAsync("s", "t", inside));

            int chunksBefore = Chunks();
            await store.Streams.TruncateStreamAsync("s", "t", new StreamCut("s", "t", new Dictionary<long, long> { [segmentId] = middle.Offset }));
            await Eventually(() => Chunks() < chunksBefore, $"no chunk removed of {chunksBefore}");
            var kept = await store.ReadAllAsync("s", "t", count - (count / 2));
            Assert.Equal(read.Skip(count / 2).Select(e => e.Event), kept.Select(e => e.Event));
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            var kept = await store.ReadAllAsync("s", "t", count - (count / 2));
            Assert.Equal(count - (count / 2), kept.Count);
            Assert.Equal(Event(count / 2), kept[0].Event);
        }
    }

    [Fact]
    public async Task A_sealed_stream_is_tiered_whole_and_deleting_it_removes_its_Tier2_data()
    {
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            await WriteAsync(store, "t", 0, 500); // below every threshold
            await store.Streams.SealStreamAsync("s", "t");
            var segments = store.Runtime.Container.AllSegments.ToList();
            await Eventually(() => segments.All(s => s.TieredLength == s.DurableLength), "the sealed segments were not tiered whole");
            Assert.Equal(500, (await store.ReadSegmentsAsync("s", "t")).Count);
            Assert.True(Directory.Exists(Path.Combine(Tier2, "s", "t")));

            await store.Streams.DeleteStreamAsync("s", "t");
            await Eventually(() => Chunks(Path.Combine(Tier2, "s", "t")) == 0, "the deleted stream's chunks are still there");
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });
            Assert.Empty(await store.ReadSegmentsAsync("s", "t"));
        }
    }

    [Fact]
    public async Task Segments_sealed_by_a_scale_are_tiered_whole_and_read_across_tiers_and_epochs_after_a_reopen()
    {
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await WriteAsync(store, "t", 0, 300); // below every threshold: only the seal makes it due
            await store.Streams.ScaleStreamAsync("s", "t", [0], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
            await WriteAsync(store, "t", 300, 300);
            var first = store.Runtime.Container.AllSegments.Single(s => s.SegmentId == 0);
            await Eventually(() => first.TieredLength == first.DurableLength, "the sealed segment was not tiered whole");
        }
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            Assert.Equal(Enumerable.Range(0, 600).Select(Event).Order(StringComparer.Ordinal), await store.ReadSegmentsAsync("s", "t"));
            var read = await store.ReadAllAsync("s", "t", 600);
            Assert.Equal(600, read.Count);
            foreach (var key in read.Select(e => e.Event!).GroupBy(e => Key(int.Parse(e.AsSpan(2, 6), CultureInfo.InvariantCulture))))
            {
                var numbers = key.Select(e => int.Parse(e.AsSpan(2, 6), CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(numbers.Order(), numbers);
            }
        }
    }

    [Fact]
    public async Task A_damaged_manifest_makes_the_store_refuse_to_open_and_nothing_is_deleted()
    {
        await WriteTieredAndCloseAsync(3000);
        string manifest = Directory.GetFiles(Path.Combine(Tier2, "s", "t"), "manifest", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(manifest);
        await File.WriteAllBytesAsync(manifest, bytes[..(bytes.Length / 2)]); // committed records lost
        var before = Directory.GetFiles(_dir.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var refused = await Assert.ThrowsAsync<StorageCorruptedException>(() => StreamStore.OpenAsync(Options));
        Assert.Contains("manifest", refused.Message, StringComparison.Ordinal);
        var after = Directory.GetFiles(_dir.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(before.Where(f => f.Contains("tier2", StringComparison.Ordinal)), after.Where(f => f.Contains("tier2", StringComparison.Ordinal))); // no chunk swept
    }

    [Fact]
    public async Task Chunks_and_manifests_no_committed_metadata_refers_to_are_removed_at_open()
    {
        await WriteTieredAndCloseAsync(3000);
        string segmentDir = Directory.GetDirectories(Path.Combine(Tier2, "s", "t")).Single();
        string orphan = Path.Combine(segmentDir, "0000000000000000000-" + Guid.NewGuid().ToString("N") + ".chunk");
        await File.WriteAllBytesAsync(orphan, new byte[100]); // a pass that created a chunk and never committed it
        string gone = Path.Combine(Tier2, "s", "old", "99-0");
        Directory.CreateDirectory(gone);
        await File.WriteAllBytesAsync(Path.Combine(gone, "manifest"), new byte[10]); // a deleted segment's leftovers
        await File.WriteAllBytesAsync(Path.Combine(gone, "0000000000000000000-" + Guid.NewGuid().ToString("N") + ".chunk"), new byte[10]);

        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.Runtime.Container.Tierer!.Ready;
            Assert.False(File.Exists(orphan));
            Assert.False(Directory.Exists(gone));
            Assert.Equal(3000, (await store.ReadSegmentsAsync("s", "t")).Count);
        }
    }
}
