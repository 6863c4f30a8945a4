using Pravega.Embedded.Tier2;
using Xunit;

namespace Pravega.Embedded.Tests.Tier2;

/// <summary>Parsing and applying manifest records: supersession, torn and foreign bytes, the cut at the committed length.</summary>
public sealed class SegmentManifestTests
{
    private static readonly Guid Store = new("11111111-2222-3333-4444-555555555555");

    private static byte[] Records(params (string Chunk, long Start, long Length)[] extents)
    {
        var bytes = new List<byte>();
        foreach (var (chunk, start, length) in extents) bytes.AddRange(ManifestFormat.EncodeExtent(Store, chunk, start, length));
        return [.. bytes];
    }

    [Fact]
    public void A_later_record_supersedes_from_its_start_on()
    {
        // c1 grows over two passes; a crash left c1 with an uncommitted tail, so the next pass went to c2 at 150.
        var bytes = Records(("c1", 0, 100), ("c1", 0, 150), ("c1", 0, 230), ("c2", 150, 50));
        var manifest = SegmentManifest.Load(bytes, Store, start: 0, tieredLength: 200, "m");
        Assert.Equal([new ChunkExtent("c1", 0, 150), new ChunkExtent("c2", 150, 50)], manifest.Extents);
        Assert.Equal(200, manifest.TieredLength);
        Assert.Equal(1, manifest.Find(150));
        Assert.Equal(0, manifest.Find(149));
        Assert.Equal(-1, manifest.Find(200));
    }

    [Fact]
    public void Records_beyond_the_committed_length_and_before_the_start_are_cut()
    {
        var bytes = Records(("c1", 0, 100), ("c2", 100, 100), ("c3", 200, 100));
        var manifest = SegmentManifest.Load(bytes, Store, start: 120, tieredLength: 250, "m");
        Assert.Equal([new ChunkExtent("c2", 120, 80, ChunkOffset: 20), new ChunkExtent("c3", 200, 50)], manifest.Extents);
        Assert.Equal(120, manifest.Start);
    }

    [Fact]
    public void Torn_garbage_and_foreign_records_are_skipped_and_parsing_resumes_after_them()
    {
        var first = Records(("c1", 0, 100));
        var torn = Records(("c1", 0, 180))[..20]; // a record cut by a power failure
        var foreign = ManifestFormat.EncodeExtent(Guid.NewGuid(), "evil", 0, 1000); // another store's (a copied directory)
        var later = Records(("c2", 100, 60));
        byte[] bytes = [.. first, .. torn, 0, 0, 0, .. foreign, .. later];
        var manifest = SegmentManifest.Load(bytes, Store, 0, 160, "m");
        Assert.Equal([new ChunkExtent("c1", 0, 100), new ChunkExtent("c2", 100, 60)], manifest.Extents);
    }

    [Fact]
    public void A_record_after_a_gap_follows_a_truncation_and_the_cut_removes_what_is_before_it()
    {
        // c1 committed [0, 100); a truncation at 500 skipped untiered bytes; the next pass wrote c9 from 500.
        var bytes = Records(("c1", 0, 100), ("c9", 500, 10));
        var truncated = SegmentManifest.Load(bytes, Store, start: 500, tieredLength: 510, "m");
        Assert.Equal([new ChunkExtent("c9", 500, 10)], truncated.Extents);
        // The same records seen with the start still at 0 and only c1 committed: c9 is beyond the committed length.
        var before = SegmentManifest.Load(bytes, Store, start: 0, tieredLength: 100, "m");
        Assert.Equal([new ChunkExtent("c1", 0, 100)], before.Extents);
        // A gap inside the committed range is damage, not a segment with a hole.
        Assert.Throws<StorageCorruptedException>(() => SegmentManifest.Load(bytes, Store, start: 0, tieredLength: 510, "m"));
    }

    [Fact]
    public void Tiered_bytes_the_manifest_does_not_describe_are_corruption_not_an_empty_segment()
    {
        var bytes = Records(("c1", 0, 100));
        var short_ = Assert.Throws<StorageCorruptedException>(() => SegmentManifest.Load(bytes, Store, 0, 150, "sc/st/1-0/manifest"));
        Assert.Equal("sc/st/1-0/manifest", short_.FileName);
        Assert.Throws<StorageCorruptedException>(() => SegmentManifest.Load([], Store, 0, 10, "m"));
        Assert.Throws<StorageCorruptedException>(() => SegmentManifest.Load(Records(("c2", 50, 50)), Store, 0, 100, "m"));
        Assert.Empty(SegmentManifest.Load([], Store, 40, 40, "m").Extents); // nothing tiered: nothing to describe
    }

    [Fact]
    public void Any_bit_flipped_in_a_record_makes_it_invalid()
    {
        var record = Records(("c1", 0, 100));
        for (int bit = 0; bit < record.Length * 8; bit++)
        {
            var copy = (byte[])record.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Empty(ManifestFormat.Parse(copy, Store));
        }
    }
}
