using System.Buffers.Binary;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tests.Simulation;
using Pravega.Embedded.Tier2;
using Xunit;

namespace Pravega.Embedded.Tests.Tier2;

/// <summary>
/// Reading tiered bytes by blocks: segments of random events tiered in random passes (events crossing and spanning
/// blocks, passes ending anywhere), then every event read back through the cache, every other offset told apart as not a
/// boundary, the greatest boundary at or before any offset exact, also from a manifest reloaded from Tier-2, and after
/// truncations.
/// </summary>
public sealed class TieredReadTests
{
    private const string Root = "/t2";
    private static readonly Guid Store = new("aa0e0d0c-0b0a-0908-0706-050403020100");

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 12)];

    [Fact]
    public void Each_block_gets_the_first_boundary_at_or_after_its_start_also_where_no_event_of_the_pass_starts()
    {
        const long B = TierBlocks.Size;
        // A pass [100, 3B + 10): events at 100 and at B + 5, which runs past 3B; blocks 1, 2 and 3 start inside the pass.
        Assert.Equal([B + 5, (3 * B) + 10, (3 * B) + 10], TierBlocks.FirstBoundaries(100, (3 * B) + 10, [100, B + 5]));
        // A pass starting exactly at a block's start records that block too.
        Assert.Equal([B, 2 * B], TierBlocks.FirstBoundaries(B, (2 * B) + 1, [B, (2 * B) - 3, 2 * B]));
        Assert.Empty(TierBlocks.FirstBoundaries(10, 20, [10]));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_event_reads_back_and_no_other_offset_is_a_boundary(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed));
        await using var storage = new FileSystemChunkStorage(device, Root);
        var segment = new Segment(1, 0, "sc", "st");
        string prefix = segment.TierPrefix;

        // The segment's bytes: [i32 length][payload] entries.
        var starts = new List<long>();
        var bytes = new List<byte>();
        int events = rng.Next(30, 200);
        for (int i = 0; i < events; i++)
        {
            int length = rng.Next(20) == 0 ? rng.Next(1 << 20, 5 << 19) : rng.Next(0, 40_000);
            starts.Add(bytes.Count);
            var entry = new byte[4 + length];
            BinaryPrimitives.WriteInt32LittleEndian(entry, length);
            rng.NextBytes(entry.AsSpan(4));
            bytes.AddRange(entry);
        }
        long total = bytes.Count;
        var all = bytes.ToArray();

        var manifest = SegmentManifest.Empty(0);
        var writer = new SegmentTierWriter(storage, Store, prefix, manifest, maxChunkLength: rng.Next(2) == 0 ? 3 << 20 : 64 << 20, Guid.NewGuid);
        int next = 0;
        while (next < starts.Count)
        {
            int count = Math.Min(starts.Count - next, rng.Next(1, 60));
            long from = starts[next], to = next + count < starts.Count ? starts[next + count] : total;
            var passStarts = starts.GetRange(next, count);
            await writer.WriteAsync(all.AsMemory((int)from, (int)(to - from)), TierBlocks.FirstBoundaries(from, to, passStarts), default);
            next += count;
        }
        Assert.Equal(total, manifest.TieredLength);

        var reloaded = SegmentManifest.Load((await storage.ReadAllAsync(ChunkNames.Manifest(prefix), default))!, Store, 0, total, "m");
        foreach (var view in new[] { manifest.Snapshot(), reloaded.Snapshot() })
        {
            Assert.Equal(manifest.Snapshot().Boundaries, view.Boundaries);
            await VerifyAsync(storage, segment, view, all, starts, 0, rng);
        }

        // Truncate at a random event: the chunks wholly before it go, and what is left reads the same.
        int cut = rng.Next(starts.Count);
        var freed = manifest.TruncateTo(starts[cut]);
        foreach (string chunk in freed) await storage.DeleteAsync(chunk, default);
        segment.MakeTruncationDurable(starts[cut]);
        var truncated = SegmentManifest.Load((await storage.ReadAllAsync(ChunkNames.Manifest(prefix), default))!, Store, starts[cut], total, "m");
        await VerifyAsync(storage, segment, truncated.Snapshot(), all, starts, cut, rng);
    }

    private static async Task VerifyAsync(IChunkStorage storage, Segment segment, TierView view, byte[] all, List<long> starts, int first, Random rng)
    {
        var cache = new TierReadCache(storage, capacity: 4 << 20);
        var isStart = starts.Skip(first).ToHashSet();
        for (int i = first; i < starts.Count; i++)
        {
            long offset = starts[i];
            var block = cache.TryGet(segment, offset, out var cached) ? cached : await cache.LoadAsync(segment, view, offset, default);
            Assert.True(block.Answers(segment, offset));
            Assert.True(block.IsEventStart(offset), $"event {i} at {offset}");
            int at = (int)(offset - block.From);
            int length = BinaryPrimitives.ReadInt32LittleEndian(block.Bytes.AsSpan(at));
            Assert.True(all.AsSpan((int)offset, 4 + length).SequenceEqual(block.Bytes.AsSpan(at, 4 + length)), $"event {i}'s bytes");
        }
        long total = all.Length;
        for (int probe = 0; probe < 200; probe++)
        {
            long offset = starts[first] + (long)(rng.NextDouble() * (total - starts[first]));
            var block = cache.TryGet(segment, offset, out var cached) ? cached : await cache.LoadAsync(segment, view, offset, default);
            Assert.Equal(isStart.Contains(offset), block.IsEventStart(offset));
            long expected = starts.Take(starts.FindLastIndex(s => s <= offset) + 1).Last();
            long? found = block.GreatestStartAtOrBefore(offset);
            for (long b = block.Block - 1; found is null; b--)
                found = (await cache.LoadAsync(segment, view, Math.Max(TierBlocks.StartOf(b), starts[first]), default)).GreatestStartAtOrBefore(offset);
            Assert.Equal(expected, found);
        }
    }
}
