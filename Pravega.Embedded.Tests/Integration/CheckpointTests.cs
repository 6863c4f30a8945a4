using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// Container checkpoints through the public API: a reopen from a checkpoint gives the same store, truncated data lets
/// WAL files go, and a store whose needed files are gone is refused, not opened short.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private const int SmallWalFile = 256 << 10;
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Event(int i) => "e-" + i.ToString("D6", CultureInfo.InvariantCulture) + new string('x', 200);

    private string[] Mirrors => [.. _dir.Options().Tier1Directories];

    private static int WalFiles(string mirror) => Directory.GetFiles(mirror, "wal-*.log").Length;

    private static async Task WriteAsync(StreamStore store, string stream, int from, int count, string? writerId = null)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8, writerId is null ? null : new EventWriterOptions { WriterId = writerId });
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++)
        {
            pending.Add(writerId is null ? writer.WriteEventAsync($"k{i % 7}", Event(i)) : writer.WriteEventAsync($"k{i % 7}", Event(i), i));
            if (pending.Count == 64)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task A_store_reopened_from_its_checkpoint_is_the_store_that_was_closed()
    {
        StreamInfo sealedInfo, truncatedInfo;
        List<string> live;
        await using (var store = await _dir.OpenAsync(SmallWalFile))
        {
            await store.CreateStreamAsync("s", "live", segments: 3);
            await store.Streams.CreateStreamAsync("s", "done", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
            await store.Streams.CreateStreamAsync("s", "cut", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1), RetentionPolicy = RetentionPolicy.BySize(1 << 20) });
            await store.Streams.CreateStreamAsync("s", "gone", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });
            await WriteAsync(store, "live", 0, 1500, writerId: "w1");
            await WriteAsync(store, "done", 0, 300);
            await store.Streams.SealStreamAsync("s", "done");
            await WriteAsync(store, "cut", 0, 400);
            var cut = (await store.Streams.GetStreamInfoAsync("s", "cut")).Tail;
            await WriteAsync(store, "cut", 400, 100);
            await store.Streams.TruncateStreamAsync("s", "cut", cut);
            await store.Streams.SealStreamAsync("s", "gone");
            await store.Streams.DeleteStreamAsync("s", "gone");
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "live"));
            sealedInfo = await store.Streams.GetStreamInfoAsync("s", "done");
            truncatedInfo = await store.Streams.GetStreamInfoAsync("s", "cut");
            live = await store.ReadSegmentsAsync("s", "live");
        }
        foreach (string mirror in Mirrors) Assert.Single(Directory.GetFiles(mirror, "checkpoint-*.ckpt"));

        await using (var store = await _dir.OpenAsync(SmallWalFile))
        {
            Assert.Equal(["cut", "done", "live"], (await store.Streams.ListStreamsAsync("s").ToListAsync()).Order(StringComparer.Ordinal));
            Assert.Equal(sealedInfo, await store.Streams.GetStreamInfoAsync("s", "done"));
            Assert.Equal(truncatedInfo.Head.Positions, (await store.Streams.GetStreamInfoAsync("s", "cut")).Head.Positions);
            Assert.Equal(live, await store.ReadSegmentsAsync("s", "live"));
            Assert.Equal(100, (await store.ReadSegmentsAsync("s", "cut")).Count);
            Assert.Equal(300, (await store.ReadSegmentsAsync("s", "done")).Count);
            Assert.NotNull(await store.ReaderGroups.GetReaderGroupAsync("s", "g"));

            // Exactly-once survives: the writer's numbers came back from the checkpoint.
            await using var writer = store.CreateEventWriter("s", "live", Serializers.Utf8, new EventWriterOptions { WriterId = "w1" });
            await writer.FlushAsync();
            Assert.Equal(1499, writer.LastEventNumber);
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k1", "again", 1499));
            Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k1", "next", 1500));

            // A new stream does not take the id of the deleted one (its Tier-2 names and records would meet).
            await store.Streams.CreateStreamAsync("s", "gone", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });
            Assert.Empty(await store.ReadSegmentsAsync("s", "gone"));
        }
    }

    [Fact]
    public async Task Truncated_data_lets_WAL_files_go_and_the_store_reopens_with_what_is_left()
    {
        int filesAtPeak;
        List<string> kept;
        var withoutTier2 = _dir.Options(SmallWalFile) with { Tier2Directory = null }; // only truncation frees files here
        await using (var store = await StreamStore.OpenAsync(withoutTier2))
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            await WriteAsync(store, "t", 0, 6000); // ~1.3 MiB: several files
            filesAtPeak = WalFiles(Mirrors[0]);
            var cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await store.Streams.TruncateStreamAsync("s", "t", cut);
            await WriteAsync(store, "t", 6000, 1500); // new files: checkpoints, and the truncated files go
            kept = await store.ReadSegmentsAsync("s", "t");
        }
        Assert.True(filesAtPeak >= 5, $"{filesAtPeak} files at the peak");
        foreach (string mirror in Mirrors)
            Assert.True(WalFiles(mirror) < filesAtPeak, $"{WalFiles(mirror)} files left of {filesAtPeak} after truncating everything written then");

        await using (var store = await StreamStore.OpenAsync(withoutTier2))
        {
            Assert.Equal(1500, kept.Count);
            Assert.Equal(kept, await store.ReadSegmentsAsync("s", "t"));
        }
    }

    [Fact]
    public async Task A_log_file_the_checkpoint_needs_that_is_gone_makes_the_store_refuse_to_open()
    {
        var withoutTier2 = _dir.Options(SmallWalFile) with { Tier2Directory = null }; // every byte stays in the WAL
        await using (var store = await StreamStore.OpenAsync(withoutTier2))
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await WriteAsync(store, "t", 0, 3000);
        }
        string first = Directory.GetFiles(Mirrors[0], "wal-*.log").Order(StringComparer.Ordinal).First();
        foreach (string mirror in Mirrors) File.Delete(Path.Combine(mirror, Path.GetFileName(first)));
        var before = Mirrors.SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();

        var refused = await Assert.ThrowsAsync<StorageCorruptedException>(() => StreamStore.OpenAsync(withoutTier2));
        Assert.Contains("checkpoint", refused.Message, StringComparison.Ordinal);
        var after = Mirrors.SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();
        Assert.True(before.SequenceEqual(after), $"before: {string.Join(", ", before.Select(Path.GetFileName))}\nafter: {string.Join(", ", after.Select(Path.GetFileName))}");
    }
}
