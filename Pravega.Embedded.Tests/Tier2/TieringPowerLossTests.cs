using Pravega.Embedded.Tests.Simulation;
using Pravega.Embedded.Tier2;
using Xunit;

namespace Pravega.Embedded.Tests.Tier2;

/// <summary>
/// The tiering protocol (<see cref="SegmentTierWriter"/>) against power failures and crashes at every device change
/// of a pass: after each, the committed manifest (cut by the committed tiered length, which stands in for the WAL record)
/// reads back every committed byte, the orphan sweep leaves only referenced chunks, and tiering continues from there.
/// </summary>
public sealed class TieringPowerLossTests
{
    private const string Root = "/t2";
    private static readonly Guid Store = new("0f0e0d0c-0b0a-0908-0706-050403020100");

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 30)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_committed_byte_survives_a_failure_at_any_device_change(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 31));
        var ids = new Random(seed * 17);
        Guid NewId()
        {
            var b = new byte[16];
            ids.NextBytes(b);
            return new Guid(b);
        }
        string prefix = ChunkNames.SegmentPrefix("sc", "st", 1, 3);
        var model = new List<byte>(); // the segment's bytes
        long committed = 0; // the tiered length the container recorded
        for (int life = 0; life < 6; life++)
        {
            var process = new SimulatedProcess(device);
            var storage = new FileSystemChunkStorage(process, Root);
            var manifest = await LoadAsync(storage, committed);
            await VerifyAsync(storage, manifest, model, committed);
            var removed = await OrphanSweep.RunAsync(storage, new Dictionary<string, SegmentManifest> { [prefix] = manifest }, default);
            var referenced = manifest.Extents.Select(e => e.Chunk).Append(ChunkNames.Manifest(prefix)).ToHashSet();
            foreach (string name in await storage.ListAsync("", default).ToListAsync()) Assert.Contains(name, referenced);

            var writer = new SegmentTierWriter(storage, Store, prefix, manifest, maxChunkLength: rng.Next(2) == 0 ? 1500 : 100_000, NewId);
            int dieAt = rng.Next(1, 40), changes = 0;
            bool power = rng.Next(2) == 0, dead = false;
            int fate = rng.Next();
            device.Mutated = () =>
            {
                if (dead || ++changes < dieAt) return;
                dead = true;
                if (power) process.PowerFail(new Random(fate));
                else process.Crash();
            };
            try
            {
                for (int pass = 0; pass < 8 && !dead; pass++)
                {
                    var data = new byte[rng.Next(1, 900)];
                    rng.NextBytes(data);
                    try
                    {
                        await writer.WriteAsync(data, [], default); // under one block: no boundaries to record
                    }
                    catch (IOException) when (dead)
                    {
                        break;
                    }
                    model.AddRange(data.AsSpan(0, (int)(writer.Manifest.TieredLength - model.Count)).ToArray());
                    committed = writer.Manifest.TieredLength; // the container's record, durable at once here
                }
            }
            finally
            {
                device.Mutated = null;
            }
            if (!dead) process.Crash();
            await storage.DisposeAsync();
        }
        var final = new FileSystemChunkStorage(new SimulatedProcess(device), Root);
        await VerifyAsync(final, await LoadAsync(final, committed), model, committed);
        Assert.True(committed > 0);
    }

    private static async Task<SegmentManifest> LoadAsync(IChunkStorage storage, long committed)
    {
        string name = ChunkNames.Manifest(ChunkNames.SegmentPrefix("sc", "st", 1, 3));
        if (await storage.ReadAllAsync(name, default) is not { } bytes)
        {
            Assert.Equal(0, committed); // a committed pass synced the manifest: it cannot be gone
            return SegmentManifest.Empty(0);
        }
        return SegmentManifest.Load(bytes, Store, 0, committed, name);
    }

    private static async Task VerifyAsync(IChunkStorage storage, SegmentManifest manifest, List<byte> model, long committed)
    {
        Assert.Equal(committed, manifest.TieredLength);
        Assert.Equal(committed, model.Count);
        var read = new byte[committed];
        foreach (var e in manifest.Extents)
        {
            int n = await storage.ReadAsync(e.Chunk, e.ChunkOffset, read.AsMemory((int)e.Start, (int)e.Length), default);
            Assert.Equal(e.Length, n);
        }
        Assert.Equal(model.ToArray(), read);
    }
}
