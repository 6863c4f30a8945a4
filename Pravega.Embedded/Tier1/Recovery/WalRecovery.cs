using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Tier1;

/// <summary>Receives each recovered record, in LSN order; the payload span is valid only during the call.</summary>
internal delegate void ReplayHandler(long lsn, LogAddress address, ReadOnlySpan<byte> payload);

/// <summary>What recovery found and mended, and where the log continues.</summary>
/// <param name="StoreId">The store's id (new if the log was empty).</param>
/// <param name="Generation">The generation the reopened log writes: above every generation found on disk.</param>
/// <param name="RecordCount">Records replayed (generation markers not counted).</param>
/// <param name="NextLsn">The LSN the next frame gets.</param>
/// <param name="LastSequence">The file the log continues in; 0 when there is no log file.</param>
/// <param name="EndPosition">Where the next frame goes in that file.</param>
/// <param name="FileSizes">Every log file that remains, with its size (from its header).</param>
/// <param name="RepairedRanges">Byte ranges rewritten in mirrors whose copy was missing, damaged or stale.</param>
/// <param name="RebuiltFiles">Mirror copies of files rebuilt whole (missing or with an unreadable header).</param>
/// <param name="ZeroedTailBytes">Bytes after the last frame of a file (torn tails, stale frames) zeroed, over all mirrors.</param>
/// <param name="DeletedFiles">Files after the end of the log deleted (they held nothing of its history).</param>
internal sealed record RecoveryReport(Guid StoreId, uint Generation, long RecordCount, long NextLsn, long LastSequence, int EndPosition,
                                      IReadOnlyDictionary<long, int> FileSizes, int RepairedRanges, int RebuiltFiles, long ZeroedTailBytes, int DeletedFiles);

/// <summary>
/// Replays the mirrored WAL and repairs it (docs/FORMAT.md, "Recovery rules"). Two phases: a scan that reads every
/// copy with pread, chooses each record, replays it and plans the repairs, and refuses with
/// <see cref="StorageCorruptedException"/> before anything is written if the mirrors cannot be reconciled; then the
/// plan is applied and every file of the log is made durable in every mirror, so nothing replayed rests on bytes
/// that were only in the page cache.
/// </summary>
/// <remarks>
/// Per position, the candidates are the mirrors' valid frames of this store with the expected LSN and a generation
/// not below the last one taken; the newest generation wins, and copies of the same generation must agree (else the
/// majority of mirrors, else refusal): histories never mix. The log ends at the first LSN no mirror holds. Past that
/// point (and in every later file) any valid frame of a later group commit of the current generation, or of a newer
/// generation, proves that acknowledged records were lost in every mirror: refusal, not truncation. Nothing past the
/// end is zeroed or deleted unless it was read in full and found to hold nothing of the history (and the generation
/// written at reopen makes any stale frame there unusable all the same).
/// </remarks>
internal sealed partial class WalRecovery
{
    private readonly IStorageDevice _device;
    private readonly IReadOnlyList<string> _directories;
    private readonly WalInventory _inventory;
    private readonly ReplayHandler _replay;
    private readonly List<FilePlan> _plans = [];
    private readonly List<long> _pastEnd = [];
    private long _expected;
    private uint _lastGeneration;
    private uint _maxGeneration;
    private long _records;
    private long _retainedBytes;

    /// <summary>At most this much of frames held in only one copy is kept in memory for the apply phase.</summary>
    private const long RetainBudget = 64L << 20;

    private WalRecovery(IStorageDevice device, IReadOnlyList<string> directories, WalInventory inventory, ReplayHandler replay)
    {
        _device = device;
        _directories = directories;
        _inventory = inventory;
        _replay = replay;
    }

    private Guid StoreId => _inventory.StoreId;

    /// <summary>
    /// Recovers the log in <paramref name="directories"/>, replaying every record; a store without log files is created,
    /// with an id from <paramref name="newStoreId"/>.
    /// </summary>
    public static RecoveryReport Recover(IStorageDevice device, IReadOnlyList<string> directories, ReplayHandler replay, ILogger logger, Func<Guid> newStoreId)
    {
        var inventory = WalInventory.Take(device, directories);
        RecoveryReport report;
        if (inventory.IsEmpty)
        {
            report = new RecoveryReport(newStoreId(), 1, 0, 1, 0, 0, new SortedDictionary<long, int>(), 0, 0, 0, 0);
        }
        else
        {
            var recovery = new WalRecovery(device, directories, inventory, replay);
            recovery.Scan();
            report = recovery.Apply();
        }
        Tier1Log.Recovered(logger, report.RecordCount, report.NextLsn, report.Generation, report.RepairedRanges, report.RebuiltFiles, report.DeletedFiles);
        return report;
    }

    // ---- phase 1: scan, choose, replay, plan (writes nothing) ----

    private void Scan()
    {
        long first = _inventory.Files.Keys.First();
        _expected = first == 1 ? 1 : -1; // -1: the first LSN of the first file is whatever it holds
        long previous = 0;
        foreach (var file in _inventory.Files.Values)
        {
            _maxGeneration = Math.Max(_maxGeneration, file.Generation);
            using var copies = new CopySet(_device, _directories, file);
            bool inLog = _pastEnd.Count == 0 && (file.Sequence == first || file.Sequence == previous + 1);
            int position = WalFormat.FileHeaderSize;
            if (inLog && file.Sequence != first && Choose(copies, file, position, out _) < 0) inLog = false;
            if (!inLog)
            {
                CheckNothingLater(copies, file, position);
                _pastEnd.Add(file.Sequence);
                continue;
            }
            var plan = new FilePlan(file, _directories.Count);
            int lastCommitStart = -1;
            while (true)
            {
                int chosen = Choose(copies, file, position, out int length);
                if (chosen < 0) break;
                var frame = copies[chosen]!.Span.Slice(position, length);
                long lsn = WalFormat.FrameLsn(frame);
                if (WalFormat.FrameBatchLsn(frame) == lsn) lastCommitStart = position;
                if (WalFormat.FrameKindOf(frame) == FrameKind.Record)
                {
                    _replay(lsn, new LogAddress(file.Sequence, position + WalFormat.FrameHeaderSize), frame[WalFormat.FrameHeaderSize..]);
                    _records++;
                }
                plan.Take(position, length, chosen);
                int identical = 0;
                for (int m = 0; m < _directories.Count; m++)
                {
                    if (m == chosen || copies[m] is not { } other) continue;
                    if (!other.IsReadable(position, length) || !other.Span.Slice(position, length).SequenceEqual(frame)) plan.Repair(m, position, length, chosen);
                    else identical++;
                }
                // The only readable copy: kept in memory too (within a budget), so that the repairs still have it if a
                // sector of that copy goes bad before they are written.
                if (identical == 0 && _retainedBytes + length <= RetainBudget)
                {
                    plan.Retain(position, frame.ToArray());
                    _retainedBytes += length;
                }
                _lastGeneration = WalFormat.FrameGeneration(frame);
                _maxGeneration = Math.Max(_maxGeneration, _lastGeneration);
                _expected = lsn + 1;
                position += length;
            }
            plan.End = position;
            plan.LastCommitStart = lastCommitStart;
            CheckNothingLater(copies, file, position);
            // Proven to hold nothing of the history: a torn tail or stale frames, zeroed so that mirrors stay identical.
            for (int m = 0; m < _directories.Count; m++)
                if (copies[m] is { } copy) plan.ZeroEnds[m] = copy.LastNonZeroEnd(position);
            _plans.Add(plan);
            previous = file.Sequence;
        }
        if (_expected < 0) _expected = 1; // no frame anywhere: an empty log
    }

    /// <summary>
    /// The mirror whose frame at <paramref name="position"/> is taken (-1: none), following the rules in the class
    /// remarks; throws when valid copies of the newest generation differ and no majority of mirrors agrees.
    /// </summary>
    private int Choose(CopySet copies, InventoryFile file, int position, out int length)
    {
        length = 0;
        Span<int> lengths = stackalloc int[_directories.Count];
        uint newest = 0;
        int candidates = 0;
        for (int m = 0; m < lengths.Length; m++)
        {
            lengths[m] = 0;
            if (copies[m] is not { } copy || copy.Length <= position) continue;
            int len = WalFormat.ValidFrameLength(copy.Span[position..], StoreId);
            if (len == 0 || !copy.IsReadable(position, len)) continue;
            var frame = copy.Span.Slice(position, len);
            uint generation = WalFormat.FrameGeneration(frame);
            _maxGeneration = Math.Max(_maxGeneration, generation);
            if ((_expected >= 0 && WalFormat.FrameLsn(frame) != _expected) || generation < _lastGeneration) continue;
            lengths[m] = len;
            newest = candidates == 0 ? generation : Math.Max(newest, generation);
            candidates++;
        }
        if (candidates == 0) return -1;

        // Among the copies of the newest generation: the one the most mirrors hold byte for byte.
        int chosen = -1, bestVotes = 0;
        bool disagree = false;
        for (int m = 0; m < lengths.Length; m++)
        {
            if (lengths[m] == 0 || WalFormat.FrameGeneration(copies[m]!.Span[position..]) != newest) continue;
            var frame = copies[m]!.Span.Slice(position, lengths[m]);
            if (chosen >= 0 && !frame.SequenceEqual(copies[chosen]!.Span.Slice(position, lengths[chosen]))) disagree = true;
            int votes = 0;
            for (int o = 0; o < lengths.Length; o++)
                if (lengths[o] == lengths[m] && copies[o]!.Span.Slice(position, lengths[o]).SequenceEqual(frame)) votes++;
            if (votes > bestVotes) (chosen, bestVotes) = (m, votes);
        }
        if (disagree && bestVotes * 2 <= _directories.Count)
            throw new StorageCorruptedException(
                $"The mirrors hold different valid records {(_expected >= 0 ? $"for LSN {_expected}" : "at the start of the log")} in WAL file {WalFormat.FileName(file.Sequence)} " +
                $"at position {position}, of the same generation, and no majority agrees: the histories cannot be reconciled without mixing them. Nothing was changed.",
                directory: null, WalFormat.FileName(file.Sequence), position, _expected >= 0 ? _expected : null);
        length = lengths[chosen];
        return chosen;
    }

    /// <summary>
    /// Past the end of the log in <paramref name="file"/> (from <paramref name="from"/>): refuses if any copy holds a
    /// frame that proves acknowledged records were lost, or if some block there could be read in no mirror (nothing
    /// then proves that no such frame is there).
    /// </summary>
    private void CheckNothingLater(CopySet copies, InventoryFile file, int from)
    {
        for (int m = 0; m < _directories.Count; m++)
        {
            if (copies[m] is not { } copy) continue;
            // After a valid frame the search goes on past its end: no later frame starts inside an older one, whole
            // (writing one there would have broken the older frame's CRC).
            for (int q = copy.NextValidFrame(from, StoreId, out int len); q >= 0; q = copy.NextValidFrame(q + len, StoreId, out len))
            {
                var frame = copy.Span.Slice(q, len);
                uint generation = WalFormat.FrameGeneration(frame);
                long lsn = WalFormat.FrameLsn(frame);
                _maxGeneration = Math.Max(_maxGeneration, generation);
                bool later = generation > _lastGeneration
                    || (generation == _lastGeneration && (_expected < 0 || (lsn >= _expected && WalFormat.FrameBatchLsn(frame) > _expected)));
                if (later)
                    throw new StorageCorruptedException(
                        $"No mirror holds a valid copy of {(_expected < 0 ? "the first WAL record" : $"WAL record {_expected}")}, but a record written after it " +
                        $"(LSN {lsn}, generation {generation}) survives in '{_directories[m]}', file {WalFormat.FileName(file.Sequence)} at position {q}: " +
                        "acknowledged records were lost in every mirror. Nothing was changed.",
                        _directories[m], WalFormat.FileName(file.Sequence), q, _expected >= 0 ? _expected : null);
            }
        }
        for (int block = from / MirrorCopy.BlockSize * MirrorCopy.BlockSize; block < file.Size; block += MirrorCopy.BlockSize)
        {
            bool readSomewhere = false;
            for (int m = 0; m < _directories.Count && !readSomewhere; m++)
                readSomewhere = copies[m] is { } c && c.IsBlockReadable(block);
            if (!readSomewhere)
                throw new StorageCorruptedException(
                    $"WAL file {WalFormat.FileName(file.Sequence)} cannot be read at position {block} in any mirror, after the last recovered record " +
                    $"(next LSN {_expected}): nothing proves that no acknowledged record is there. Nothing was changed.",
                    directory: null, WalFormat.FileName(file.Sequence), block, _expected >= 0 ? _expected : null);
        }
    }
}
