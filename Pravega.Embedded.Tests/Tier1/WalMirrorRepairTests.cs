using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>
/// Damage done to the mirrors while the log is closed: recovery takes any mirror's valid copy of each record,
/// writes it back to the others, and refuses to open only when a record is lost everywhere but later ones survive.
/// </summary>
public sealed class WalMirrorRepairTests
{
    /// <summary>Eleven ~45 KiB records: five per 256 KiB file, so the log spans three files.</summary>
    private static readonly int[] ThreeFiles = [.. Enumerable.Range(0, 11).Select(i => 45_000 + (i * 97))];

    /// <summary>Twenty small records, all in the first file.</summary>
    private static readonly int[] OneFile = [.. Enumerable.Range(0, 20).Select(i => 100 + (i * 31))];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Deleted_files_of_one_mirror_are_rebuilt(int mirror)
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        foreach (string name in h.LogFiles(mirror)) File.Delete(Path.Combine(h.Directories[mirror], name));

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(h.Written[^1].Address.FileSequence, report.RebuiltFiles);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void Deleted_mirror_directory_is_recreated_and_rebuilt()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        Directory.Delete(h.Directories[1], recursive: true);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.True(report.RebuiltFiles > 0);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void A_middle_file_missing_in_one_mirror_is_rebuilt()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        File.Delete(h.FilePath(2, 2));

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(1, report.RebuiltFiles);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void A_file_header_corrupted_in_one_mirror_is_rebuilt()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        h.FlipByte(0, 1, 20);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(1, report.RebuiltFiles);
        h.AssertMirrorsIdentical();
    }

    [Theory]
    [InlineData(0)] // mirror 0 is also the one reads are served from
    [InlineData(2)]
    public async Task A_payload_corrupted_in_one_mirror_is_repaired(int mirror)
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        var victim = h.Written[6];
        h.FlipByte(mirror, victim.Address.FileSequence, victim.Address.Position + (victim.Payload.Length / 2));

        var replayed = new List<Replayed>();
        await using (var log = h.Open(replayed))
        {
            WalHarness.AssertRecords(h.Written, replayed);
            Assert.Equal(1, log.Recovery.RepairedRanges);
            Assert.Equal(0, log.Recovery.RebuiltFiles);
            Assert.True(WalHarness.Read(log, victim.Address, victim.Payload.Length).AsSpan().SequenceEqual(victim.Payload));
        }
        h.AssertMirrorsIdentical();

        // Nothing is left to repair.
        var (records, report) = h.Reopen();
        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(0, report.RepairedRanges + report.RebuiltFiles + report.DeletedFiles);
        Assert.Equal(0, report.ZeroedTailBytes);
    }

    [Fact]
    public void A_frame_header_corrupted_in_one_mirror_is_repaired()
    {
        using var h = new WalHarness();
        h.Populate(OneFile);
        var victim = h.Written[10];
        h.FlipByte(1, 1, victim.FrameStart + 1); // the payload length
        h.FlipByte(1, 1, victim.FrameStart + 9); // the LSN

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(1, report.RepairedRanges);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void Scattered_damage_in_every_mirror_is_repaired_while_each_record_has_one_good_copy()
    {
        using var h = new WalHarness();
        h.Populate(ThreeFiles);
        // Record i is damaged in mirror i % 3 (and only there); record 9 is also damaged in a second mirror.
        for (int i = 0; i < h.Written.Count; i++)
        {
            var r = h.Written[i];
            h.FlipByte(i % 3, r.Address.FileSequence, r.Address.Position + (r.Payload.Length / 3), 0x10);
        }
        h.FlipByte(1, h.Written[9].Address.FileSequence, h.Written[9].Address.Position + 5);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(h.Written.Count + 1, report.RepairedRanges);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public void A_record_corrupted_differently_in_two_mirrors_is_recovered_from_the_third()
    {
        using var h = new WalHarness();
        h.Populate(OneFile);
        var victim = h.Written[8];
        h.FlipByte(0, 1, victim.Address.Position + 3, 0x01);
        h.Overwrite(2, 1, victim.FrameStart, new byte[WalFormat.FrameHeaderSize + 7]);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(2, report.RepairedRanges);
        h.AssertMirrorsIdentical();
    }

    [Theory]
    [InlineData(0, false)] // the very first record of the log
    [InlineData(9, false)] // a record in the middle of a file
    [InlineData(4, true)]  // the last record of file 1, with later records in files 2 and 3
    public void A_record_lost_in_every_mirror_with_later_records_after_it_is_corruption(int index, bool threeFiles)
    {
        using var h = new WalHarness();
        h.Populate(threeFiles ? ThreeFiles : OneFile);
        var victim = h.Written[index];
        Assert.True(index + 1 < h.Written.Count);
        if (threeFiles) Assert.NotEqual(victim.Address.FileSequence, h.Written[index + 1].Address.FileSequence);
        for (int m = 0; m < WalHarness.MirrorCount; m++)
            h.FlipByte(m, victim.Address.FileSequence, victim.Address.Position + (victim.Payload.Length / 2), (byte)(1 << m));

        Assert.Throws<StorageCorruptedException>(() => h.Open());
        // The failed open released its locks and deleted nothing: it fails the same way again.
        Assert.Throws<StorageCorruptedException>(() => h.Open());
        for (int m = 0; m < WalHarness.MirrorCount; m++)
            Assert.Equal(victim.Address.FileSequence + (threeFiles ? 2 : 0), h.LastSequence(m));
    }

    [Fact]
    public void Torn_tail_of_one_mirror_is_repaired_and_the_log_continues_after_it()
    {
        using var h = new WalHarness();
        h.Populate(OneFile);
        var last = h.Written[^1];
        h.Truncate(1, 1, last.FrameStart + 5);
        // Stale garbage beyond the end of data in mirror 2: zeroed, not taken for records.
        h.Overwrite(2, 1, last.FrameEnd + 100, [1, 2, 3, 4, 5]);

        var replayed = new List<Replayed>();
        var log = h.Open(replayed);
        WalHarness.AssertRecords(h.Written, replayed);
        Assert.Equal(1, log.Recovery.RepairedRanges);
        Assert.Equal(105, log.Recovery.ZeroedTailBytes); // through the last garbage byte
        h.AppendDurably(log, WalHarness.Payload(99, 1_000));
        WalHarness.Close(log);

        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
        h.AssertMirrorsIdentical();
    }
    /// <summary>
    /// A crash while a three-record batch was being written: the batch's pages reached the disk out of order, so
    /// its first frame is torn in every mirror while its later frames are whole. None of the batch was
    /// acknowledged, so recovery should end the log before it.
    /// </summary>
    [Fact]
    public void A_torn_unacknowledged_batch_whose_later_frames_landed_is_dropped()
    {
        using var h = new WalHarness();
        h.Populate(OneFile);
        int position = h.Written[^1].FrameEnd;
        var batch = new List<byte>();
        for (int i = 1; i <= 3; i++)
        {
            long next = h.Written[^1].Lsn + 1;
            var frame = h.Frame(WalHarness.Payload(1_000 + i, 5_000), next + i - 1, batchLsn: next);
            batch.AddRange(frame);
        }
        for (int m = 0; m < WalHarness.MirrorCount; m++)
        {
            h.Overwrite(m, 1, position, batch.ToArray());
            h.Overwrite(m, 1, position + 2_000, new byte[1_000]); // the lost page, inside the first frame
        }

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.True(report.ZeroedTailBytes > 0);
        h.AssertMirrorsIdentical();
    }

    /// <summary>The same damage, but the frames after the hole come from a later group commit: the lost record was acknowledged.</summary>
    [Fact]
    public void A_lost_record_followed_by_a_later_commit_is_corruption()
    {
        using var h = new WalHarness();
        h.Populate(OneFile);
        int position = h.Written[^1].FrameEnd;
        var frames = new List<byte>();
        for (int i = 1; i <= 3; i++)
        {
            long next = h.Written[^1].Lsn + 1;
            var frame = h.Frame(WalHarness.Payload(1_000 + i, 5_000), next + i - 1, batchLsn: next + i - 1); // one commit per frame
            frames.AddRange(frame);
        }
        for (int m = 0; m < WalHarness.MirrorCount; m++)
        {
            h.Overwrite(m, 1, position, frames.ToArray());
            h.Overwrite(m, 1, position + 2_000, new byte[1_000]);
        }

        Assert.Throws<StorageCorruptedException>(() => h.Reopen());
    }
}
