using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Container checkpoints (docs/FORMAT.md, "Checkpoint"; docs/DESIGN.md, "Checkpoints and the WAL's lifecycle"): the
/// state at an LSN as records, so that recovery starts from the newest checkpoint instead of the log's first record.
/// Records at or before the checkpoint are then replayed only to index the segments' live bytes (the bytes after each
/// segment's start, whose index entries point into the WAL); everything else in them is in the checkpoint already.
/// </summary>
internal sealed partial class SegmentContainer
{
    /// <summary>SegmentState flag: the segment holds a byte stream's bytes.</summary>
    private const byte SegmentFlagHoldsBytes = 1;

    private readonly Dictionary<(long StreamId, long SegmentId), Restoring> _restoring = [];
    private long _checkpointLsn;
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private Task _scheduledCheckpoint = Task.CompletedTask;
    private int _checkpointRequests;
    private long _lastCheckpointLsn;

    /// <summary>
    /// What replay must index again of a segment restored from a checkpoint: its bytes from its live start to its length,
    /// placed by the records from <paramref name="LiveAddress"/> on (an append, or a transaction commit whose bytes start at
    /// <paramref name="PlacementOffset"/>, below the live start when the first live byte is inside a commit's range).
    /// </summary>
    private sealed record Restoring(Segment Segment, long Length, LogAddress LiveAddress, long PlacementOffset)
    {
        /// <summary>The segment offset the next placed entry starts at; -1 until replay reaches the live address.</summary>
        public long Offset { get; set; } = -1;

        /// <summary>
        /// Whether the record at <paramref name="placement"/> is the live placement or after it: false while replay is
        /// before it; the first time true, the walk starts at <see cref="PlacementOffset"/>.
        /// </summary>
        public bool Reach(LogAddress placement)
        {
            if (Offset >= 0) return true;
            if (Before(placement, LiveAddress)) return false;
            Offset = PlacementOffset;
            return true;
        }
    }

    /// <summary>Completes when the checkpoint started last (by a new WAL file or a truncation) is done (tests).</summary>
    internal Task WhenCheckpointIdle() => Volatile.Read(ref _scheduledCheckpoint);

    /// <summary>The LSN of the last checkpoint written by this open (0: none yet).</summary>
    public long LastCheckpointLsn => Volatile.Read(ref _lastCheckpointLsn);

    /// <summary>
    /// Takes a checkpoint and lets go of the WAL files it frees: the state is captured under the lock at the last
    /// appended LSN; once that LSN is durable the checkpoint is written in every mirror, older checkpoints are deleted,
    /// and the files before the first one still needed are dropped. One at a time.
    /// </summary>
    public async Task CheckpointAsync(CancellationToken ct)
    {
        await _checkpointGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ContainerCheckpoint checkpoint;
            lock (Lock) checkpoint = CaptureCheckpoint();
            await Log.WhenDurableAsync(checkpoint.Lsn, ct).ConfigureAwait(false);
            CheckpointFiles.Write(_walOptions.Device, _walOptions.Directories, checkpoint);
            CheckpointFiles.DeleteOlderThan(_walOptions.Device, _walOptions.Directories, checkpoint.Lsn);
            int dropped = Log.DropFilesBefore(checkpoint.FirstNeededFile);
            Volatile.Write(ref _lastCheckpointLsn, checkpoint.Lsn);
            SegmentStoreLog.CheckpointWritten(_logger, checkpoint.Lsn, checkpoint.Records.Count, dropped, checkpoint.FirstNeededFile);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>A new WAL file: time for a checkpoint, and maybe for tiering (the log grew).</summary>
    private void OnFileActivated(long sequence)
    {
        ScheduleCheckpoint();
        Tierer?.Wake();
    }

    /// <summary>Asks for a checkpoint (the tierer, after passes: the files of the tiered bytes can go).</summary>
    public void RequestCheckpoint() => ScheduleCheckpoint();

    /// <summary>
    /// Asks for a checkpoint: one starts now unless one is under way, and then another follows it (a truncation made
    /// durable during a checkpoint still frees its files promptly). Off the flusher thread, which calls this; a stepped
    /// log runs it inline, so that it stays part of the one interleaving the seed gives.
    /// </summary>
    private void ScheduleCheckpoint()
    {
        if (Interlocked.Increment(ref _checkpointRequests) != 1) return; // the running loop sees the request
        var run = _walOptions.Stepped ? RunRequestedCheckpointsAsync() : Task.Run(RunRequestedCheckpointsAsync);
        Volatile.Write(ref _scheduledCheckpoint, run);
    }

    private async Task RunRequestedCheckpointsAsync()
    {
        while (true)
        {
            int requests = Volatile.Read(ref _checkpointRequests);
            try
            {
                await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a failed checkpoint only keeps WAL files longer; the log reports its own failures
            catch (Exception e)
#pragma warning restore CA1031
            {
                SegmentStoreLog.CheckpointFailed(_logger, e);
                Volatile.Write(ref _checkpointRequests, 0); // no retry loop on a failing device: the next request tries again
                return;
            }
            if (Interlocked.CompareExchange(ref _checkpointRequests, 0, requests) == requests) return;
        }
    }

    /// <summary>
    /// The records of a checkpoint at <see cref="WriteAheadLog.LastAppendedLsn"/> (container lock held): the layer above's
    /// records, then each segment's length and live start, then each writer's last event number.
    /// </summary>
    public ContainerCheckpoint CaptureCheckpoint()
    {
        var records = new List<byte[]>();
        var metadata = new List<byte[]>();
        _metadata.WriteCheckpoint(metadata);
        foreach (var m in metadata)
        {
            var record = new byte[1 + m.Length];
            record[0] = (byte)RecordType.Metadata;
            m.CopyTo(record, 1);
            records.Add(record);
        }
        long firstLiveFile = OldestOpenTransactionFile;
        foreach (var ((streamId, segmentId), segment) in _segments.OrderBy(p => p.Key))
        {
            segment.TrimIndexIfIdle(); // checkpoints come once per WAL file: an idle segment's index page shrinks here
            if (!segment.TryFindLivePlacement(out var live, out long placementOffset)) live = new LogAddress(-1, 0);
            firstLiveFile = Math.Min(firstLiveFile, segment.OldestUntieredFile);
            var record = new byte[1 + (8 * 4) + 8 + 4 + 8 + 8 + 1];
            var w = new RecordWriter(record);
            w.WriteByte((byte)RecordType.SegmentState);
            w.WriteInt64(streamId);
            w.WriteInt64(segmentId);
            w.WriteInt64(segment.Length);
            w.WriteInt64(segment.AcceptedStartOffset);
            w.WriteInt64(live.FileSequence);
            w.WriteInt32(live.Position);
            w.WriteInt64(segment.AcceptedTieredLength);
            w.WriteInt64(placementOffset);
            w.WriteByte(segment.HoldsBytes ? SegmentFlagHoldsBytes : (byte)0);
            records.Add(record);
        }
        foreach (var ((streamId, writerId), writer) in _writers.OrderBy(p => p.Key.StreamId).ThenBy(p => p.Key.WriterId, StringComparer.Ordinal))
        {
            var record = new byte[1 + 8 + 1 + writerId.Length + 8];
            var w = new RecordWriter(record);
            w.WriteByte((byte)RecordType.WriterState);
            w.WriteInt64(streamId);
            w.WriteByte((byte)writerId.Length);
            w.Advance(Encoding.ASCII.GetBytes(writerId, record.AsSpan(w.Written)));
            w.WriteInt64(writer.AcceptedEventNumber);
            records.Add(record);
        }
        CaptureTransactions(records);
        long firstNeeded = Math.Min(firstLiveFile, Log.WriteFileSequence);
        return new ContainerCheckpoint(Log.StoreId, Log.LastAppendedLsn, records, firstNeeded);
    }

    /// <summary>Applies a checkpoint's records to this empty container, before the log is replayed (open only).</summary>
    private void Restore(ContainerCheckpoint checkpoint)
    {
        _checkpointLsn = checkpoint.Lsn;
        SegmentStoreLog.CheckpointRestored(_logger, checkpoint.Lsn, checkpoint.Records.Count);
        foreach (var record in checkpoint.Records)
        {
            var r = new RecordReader(record);
            switch ((RecordType)r.ReadByte())
            {
                case RecordType.Metadata:
                    _metadata.Apply(r.Rest, this);
                    break;
                case RecordType.SegmentState:
                {
                    long streamId = r.ReadInt64(), segmentId = r.ReadInt64(), length = r.ReadInt64(), start = r.ReadInt64();
                    var live = new LogAddress(r.ReadInt64(), r.ReadInt32());
                    long tiered = r.Remaining >= 8 ? r.ReadInt64() : 0; // checkpoints before tiering end here
                    long liveStart = Math.Max(start, tiered);
                    long placementOffset = r.Remaining >= 8 ? r.ReadInt64() : liveStart; // and before transactions here
                    byte flags = r.Remaining >= 1 ? r.ReadByte() : (byte)0; // and before byte streams here
                    if (!_segments.TryGetValue((streamId, segmentId), out var segment) || start > length || tiered > length
                        || start != segment.AcceptedStartOffset || placementOffset > liveStart)
                        throw new StorageCorruptedException($"The checkpoint at LSN {checkpoint.Lsn} describes segment {segmentId} of stream {streamId} inconsistently.");
                    segment.RestoreFrom(liveStart, tiered);
                    segment.HoldsBytes = (flags & SegmentFlagHoldsBytes) != 0;
                    if (length > liveStart) _restoring.Add((streamId, segmentId), new Restoring(segment, length, live, placementOffset));
                    break;
                }
                case RecordType.TransactionState:
                    RestoreTransaction(ref r);
                    break;
                case RecordType.WriterState:
                {
                    long streamId = r.ReadInt64();
                    string writerId = Encoding.ASCII.GetString(r.ReadBytes(r.ReadByte()));
                    long eventNumber = r.ReadInt64();
                    _writers[(streamId, writerId)] = new WriterState { AcceptedEventNumber = eventNumber, DurableEventNumber = eventNumber };
                    break;
                }
                default:
                    throw new StorageCorruptedException($"The checkpoint at LSN {checkpoint.Lsn} holds a record of unknown type.");
            }
        }
    }

    /// <summary>
    /// Replay of an append the checkpoint covers (its LSN is at or before it): indexed again if it holds live bytes of a
    /// restored segment, otherwise nothing (truncated, of a deleted stream, or before the live start).
    /// </summary>
    private void ReplayCoveredAppend(in ReplayedAppend append)
    {
        if (_restoring.TryGetValue((append.StreamId, append.SegmentId), out var restoring))
            PlaceCovered(restoring, append.EntryAddress, EventHeaderSize + append.EventLength, append.EntryAddress);
    }

    /// <summary>
    /// An entry of <paramref name="length"/> bytes at <paramref name="entryAddress"/> that the covered record at
    /// <paramref name="placement"/> put at the end of a restored segment: indexed again if it is live (at or after the live
    /// start, below the checkpointed length), skipped if replay has not reached the live placement yet.
    /// </summary>
    private static void PlaceCovered(Restoring restoring, LogAddress placement, int length, LogAddress entryAddress)
    {
        if (!restoring.Reach(placement)) return;
        var segment = restoring.Segment;
        if (segment.HoldsBytes && restoring.Offset < segment.Length && restoring.Offset + length > segment.Length && segment.Length < restoring.Length)
            segment.ResumeAt(restoring.Offset); // a byte stream truncated inside this chunk: its live bytes start in it
        if (restoring.Offset >= segment.Length && segment.Length < restoring.Length)
        {
            if (restoring.Offset != segment.Length)
                throw new StorageCorruptedException(
                    $"Segment {segment.SegmentId} of stream {segment.StreamId}: replay places an event at {restoring.Offset}, but its live bytes resume at {segment.Length}. Nothing was changed.");
            IndexReplayed(segment, length, entryAddress);
        }
        restoring.Offset += length;
    }

    /// <summary>
    /// Every restored segment got its live bytes back from the log: checked when replay passes the checkpoint (the first
    /// record after it, or the end of the log), since later appends go after them.
    /// </summary>
    private void FinishRestore()
    {
        foreach (var ((streamId, segmentId), restoring) in _restoring)
        {
            if (restoring.Segment.Length != restoring.Length)
                throw new StorageCorruptedException(
                    $"Segment {segmentId} of stream {streamId} has {restoring.Length - restoring.Segment.Length} bytes that the checkpoint at LSN {_checkpointLsn} " +
                    $"says are live in the WAL from file {restoring.LiveAddress.FileSequence} on, but no WAL record holds them: log files the store still needed are gone. Nothing was changed.");
        }
        FinishTransactionRestore();
        _restoring.Clear();
        _checkpointLsn = 0;
    }

    private static bool Before(LogAddress a, LogAddress b) =>
        a.FileSequence < b.FileSequence || (a.FileSequence == b.FileSequence && a.Position < b.Position);
}

/// <summary>
/// A container checkpoint of store <paramref name="StoreId"/>: the records that rebuild the container's state at
/// <paramref name="Lsn"/>, and the first WAL file still needed (the first holding a live segment byte, or the one holding
/// the checkpoint's LSN if that comes first): once the checkpoint is durable, every file before it can go.
/// </summary>
internal sealed record ContainerCheckpoint(Guid StoreId, long Lsn, IReadOnlyList<byte[]> Records, long FirstNeededFile);
