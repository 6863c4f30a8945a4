using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Tier1;

/// <summary>Receives each recovered record, in LSN order; the payload span is valid only during the call.</summary>
internal delegate void ReplayHandler(long lsn, LogAddress address, ReadOnlySpan<byte> payload);

/// <summary>What recovery found and mended, for logs and tests.</summary>
internal sealed record RecoveryReport(long RecordCount, long NextLsn, long LastSequence, int EndPosition,
                                      int RepairedRanges, int RebuiltFiles, long ZeroedTailBytes, int DeletedFiles);

/// <summary>
/// Replays the mirrored WAL and repairs it. Per record, any mirror copy whose CRC holds (at the expected LSN) is
/// taken; mirrors whose copy is missing or different get the chosen bytes written back. The log ends at the first
/// LSN no mirror holds: a torn tail is zeroed, later files deleted. If a later record survives past such a hole
/// (a record that later records depend on is lost everywhere), the store is corrupt and opening fails.
/// </summary>
internal static class WalRecovery
{
    private readonly record struct Repair(int Position, int Length, int Source);

    public static RecoveryReport Recover(IReadOnlyList<string> directories, int fileSize, ReplayHandler replay, ILogger logger)
    {
        foreach (string dir in directories)
            foreach (string temp in Directory.EnumerateFiles(dir, "*" + WalFormat.TempSuffix))
                File.Delete(temp);

        var sequences = new SortedSet<long>();
        foreach (string dir in directories)
            foreach (string path in Directory.EnumerateFiles(dir, WalFormat.FilePrefix + "*" + WalFormat.FileSuffix))
                if (WalFormat.TryParseFileName(Path.GetFileName(path), out long s)) sequences.Add(s);

        int repaired = 0, rebuilt = 0, deleted = 0;
        long zeroed = 0, records = 0;
        if (sequences.Count == 0) return new RecoveryReport(0, 1, 0, 0, 0, 0, 0, 0);

        long[] seqs = [.. sequences];
        long expected = -1;
        int endIndex = -1, endPosition = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            long seq = seqs[i];
            var copies = OpenCopies(directories, seq, fileSize);
            try
            {
                if (expected < 0) expected = FirstLsn(copies) ?? -1;
                if (expected < 0)
                {
                    // The lowest file holds no valid first record: an empty log, unless records survive after it.
                    CheckNothingSurvivesAfter(copies, directories, seqs, i, WalFormat.FileHeaderSize, -1, fileSize);
                    break;
                }
                var repairs = new List<Repair>[directories.Count];
                for (int m = 0; m < repairs.Length; m++) repairs[m] = [];
                int position = WalFormat.FileHeaderSize;
                while (true)
                {
                    int chosen = -1, length = 0;
                    for (int m = 0; m < copies.Length && chosen < 0; m++)
                    {
                        if (copies[m] is not { } copy || copy.Span.Length <= position) continue;
                        length = WalFormat.ValidFrameLength(copy.Span[position..], expected);
                        if (length > 0) chosen = m;
                    }
                    if (chosen < 0) break;
                    var frame = copies[chosen]!.Span.Slice(position, length);
                    replay(expected, new LogAddress(seq, position + WalFormat.FrameHeaderSize), frame[WalFormat.FrameHeaderSize..]);
                    for (int m = 0; m < copies.Length; m++)
                    {
                        if (m == chosen) continue;
                        var span = copies[m] is { } other ? other.Span : default;
                        if (span.Length >= position + length && span.Slice(position, length).SequenceEqual(frame)) continue;
                        AddRepair(repairs[m], new Repair(position, length, chosen));
                    }
                    position += length;
                    expected++;
                    records++;
                }

                bool continues = i + 1 < seqs.Length && NextFileStartsAt(directories, seqs[i + 1], fileSize, expected);
                if (!continues) CheckNothingSurvivesAfter(copies, directories, seqs, i, position, expected, fileSize);
                for (int m = 0; m < copies.Length; m++)
                {
                    if (copies[m] is null)
                    {
                        RebuildFile(directories, m, seq, fileSize, copies, repairs[m]);
                        rebuilt++;
                    }
                    else
                    {
                        (int r, long z) = RepairFile(directories[m], seq, fileSize, copies, copies[m]!, repairs[m], position);
                        repaired += r;
                        zeroed += z;
                    }
                }
                endIndex = i;
                endPosition = position;
                if (!continues) break;
            }
            finally
            {
                foreach (var c in copies) ((IDisposable?)c)?.Dispose();
            }
        }

        for (int i = endIndex + 1; i < seqs.Length; i++)
            foreach (string dir in directories)
            {
                string path = Path.Combine(dir, WalFormat.FileName(seqs[i]));
                if (!File.Exists(path)) continue;
                File.Delete(path);
                deleted++;
            }
        if (repaired + rebuilt + deleted > 0 || zeroed > 0)
            foreach (string dir in directories) NativeIO.FlushDirectory(dir);

        var report = endIndex < 0
            ? new RecoveryReport(0, 1, 0, 0, repaired, rebuilt, zeroed, deleted)
            : new RecoveryReport(records, expected, seqs[endIndex], endPosition, repaired, rebuilt, zeroed, deleted);
        Tier1Log.Recovered(logger, report.RecordCount, report.NextLsn, report.RepairedRanges, report.RebuiltFiles, report.ZeroedTailBytes, report.DeletedFiles);
        return report;
    }

    private static void AddRepair(List<Repair> repairs, Repair next)
    {
        if (repairs.Count > 0 && repairs[^1] is var last && last.Source == next.Source && last.Position + last.Length == next.Position)
            repairs[^1] = last with { Length = last.Length + next.Length };
        else
            repairs.Add(next);
    }

    /// <summary>Each mirror's copy of a file, mapped; null where missing, cut short of its header, or with a bad header.</summary>
    private static MappedMemory?[] OpenCopies(IReadOnlyList<string> directories, long seq, int fileSize)
    {
        var copies = new MappedMemory?[directories.Count];
        for (int m = 0; m < copies.Length; m++)
        {
            var info = new FileInfo(Path.Combine(directories[m], WalFormat.FileName(seq)));
            if (!info.Exists || info.Length < WalFormat.FileHeaderSize) continue;
            var copy = MappedMemory.Open(info.FullName, Math.Min(info.Length, fileSize));
            if (WalFormat.IsValidFileHeader(copy.Span, seq, fileSize)) copies[m] = copy;
            else ((IDisposable)copy).Dispose();
        }
        return copies;
    }

    private static long? FirstLsn(MappedMemory?[] copies)
    {
        foreach (var copy in copies)
        {
            if (copy is null || copy.Span.Length <= WalFormat.FileHeaderSize + WalFormat.FrameHeaderSize) continue;
            var span = copy.Span[WalFormat.FileHeaderSize..];
            long lsn = WalFormat.FrameLsn(span);
            if (WalFormat.ValidFrameLength(span, lsn) > 0) return lsn;
        }
        return null;
    }

    /// <summary>Whether some mirror's copy of file <paramref name="seq"/> starts with the record at <paramref name="lsn"/>.</summary>
    private static bool NextFileStartsAt(IReadOnlyList<string> directories, long seq, int fileSize, long lsn)
    {
        var copies = OpenCopies(directories, seq, fileSize);
        try
        {
            return FirstLsn(copies) == lsn;
        }
        finally
        {
            foreach (var c in copies) ((IDisposable?)c)?.Dispose();
        }
    }

    /// <summary>
    /// At the end of the log: a valid record just past the hole (found through a copy's claimed frame length) written
    /// by a later group commit, or a later file that starts with a valid record (a group commit never spans files),
    /// means records that depend on the lost one survive. The flusher writes a commit only after the previous one is
    /// durable everywhere, so a later commit on disk proves the lost record was acknowledged.
    /// <paramref name="expected"/> is the lost record's LSN, or -1 when the log's first record is lost and its LSN unknown.
    /// </summary>
    private static void CheckNothingSurvivesAfter(MappedMemory?[] copies, IReadOnlyList<string> directories, long[] seqs,
                                                  int index, int position, long expected, int fileSize)
    {
        foreach (var copy in copies)
        {
            if (copy is null || copy.Span.Length <= position) continue;
            int claimed = WalFormat.ClaimedFrameLength(copy.Span[position..]);
            if (claimed == 0) continue;
            foreach (var other in copies)
            {
                if (other is null || other.Span.Length < position + claimed + WalFormat.FrameHeaderSize) continue;
                var next = other.Span[(position + claimed)..];
                long nextLsn = expected >= 0 ? expected + 1 : WalFormat.FrameLsn(next);
                // Written by the same group commit as the lost frame: that commit never finished, nothing was acknowledged.
                if (WalFormat.ValidFrameLength(next, nextLsn) > 0 && WalFormat.FrameBatchLsn(next) >= nextLsn)
                    throw Corrupted(seqs[index], position, nextLsn - 1);
            }
        }
        for (int j = index + 1; j < seqs.Length; j++)
        {
            var later = OpenCopies(directories, seqs[j], fileSize);
            try
            {
                if (FirstLsn(later) is long lsn && lsn >= expected) throw Corrupted(seqs[index], position, expected);
            }
            finally
            {
                foreach (var c in later) ((IDisposable?)c)?.Dispose();
            }
        }
    }

    private static StorageCorruptedException Corrupted(long seq, int position, long lsn) =>
        new($"No mirror holds a valid copy of {(lsn < 0 ? "the first WAL record" : $"WAL record {lsn}")} (file {WalFormat.FileName(seq)}, position {position}), but later records exist.");

    private static (int Repaired, long Zeroed) RepairFile(string directory, long seq, int fileSize, MappedMemory?[] copies,
                                                         MappedMemory own, List<Repair> repairs, int endPosition)
    {
        // Garbage past the end (a torn tail) is zeroed so that later appends are never followed by stale frames.
        long zeroed = 0;
        int lastNonZero = own.Span.Length > endPosition ? own.Span[endPosition..].LastIndexOfAnyExcept((byte)0) : -1;
        if (repairs.Count == 0 && lastNonZero < 0 && own.Span.Length == fileSize) return (0, 0);
        using var handle = File.OpenHandle(Path.Combine(directory, WalFormat.FileName(seq)), FileMode.Open, FileAccess.ReadWrite);
        if (RandomAccess.GetLength(handle) < fileSize) RandomAccess.SetLength(handle, fileSize);
        foreach (var r in repairs)
            RandomAccess.Write(handle, copies[r.Source]!.Span.Slice(r.Position, r.Length), r.Position);
        if (lastNonZero >= 0)
        {
            zeroed = lastNonZero + 1;
            RandomAccess.Write(handle, new byte[zeroed], endPosition);
        }
        NativeIO.FlushData(handle);
        return (repairs.Count, zeroed);
    }

    private static void RebuildFile(IReadOnlyList<string> directories, int mirror, long seq, int fileSize, MappedMemory?[] copies, List<Repair> repairs) =>
        WalFilePreparer.CreateFile(directories[mirror], seq, fileSize, stop: null, fill: stream =>
        {
            foreach (var r in repairs)
                RandomAccess.Write(stream.SafeFileHandle, copies[r.Source]!.Span.Slice(r.Position, r.Length), r.Position);
        });
}
