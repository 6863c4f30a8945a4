using System.Buffers.Binary;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>
/// A header whose version field was damaged so that it reads "newer" (found by the store simulation, seed 3 and 111:
/// corrupted bytes at offset 7-8 of one mirror's header made the store unopenable with "format version 45058, newer
/// than this version reads"): with a valid copy in another mirror it is damage, and the copy is rebuilt; only when no
/// mirror holds a valid header of this format is the store refused as of a newer format.
/// </summary>
public sealed class WalHeaderVersionDamageTests
{
    private static readonly int[] ThreeFiles = [.. Enumerable.Range(0, 11).Select(i => 45_000 + (i * 97))];

    [Fact]
    public void A_version_field_damaged_to_newer_in_one_mirror_is_rebuilt_from_the_others()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        DamageVersion(h, mirror: 1, sequence: 2);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(1, report.RebuiltFiles);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void A_version_field_damaged_to_newer_in_every_mirror_is_refused_as_newer_and_nothing_changes()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        for (int m = 0; m < WalHarness.MirrorCount; m++) DamageVersion(h, m, sequence: 2);
        var before = Snapshot(h);

        var e = Assert.Throws<UnsupportedStorageFormatException>(() => h.Open());

        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(h));
    }

    [Fact]
    public void A_valid_header_of_a_newer_version_in_one_mirror_is_still_refused()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        var header = File.ReadAllBytes(h.FilePath(0, 2)).AsSpan(0, 60).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), WalFormat.Version + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(56), Crc32C.Compute(header.AsSpan(0, 56)));
        h.Overwrite(1, 2, 0, header);

        Assert.Throws<UnsupportedStorageFormatException>(() => h.Open());
    }

    /// <summary>Bytes 8-11 (the version) read as a newer version; the header CRC no longer matches.</summary>
    private static void DamageVersion(WalHarness h, int mirror, long sequence)
    {
        var version = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(version, 45058);
        h.Overwrite(mirror, sequence, 8, version);
    }

    private static List<string> Snapshot(WalHarness h)
    {
        var files = new List<string>();
        foreach (string dir in h.Directories)
            foreach (string f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                files.Add(f + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
        return files;
    }
}
