using System.Text;
using Microsoft.Extensions.Logging;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The segment container: the one ordered operation log of the store. Appends (with their exactly-once check)
/// and metadata changes are WAL records, accepted in order under one lock; once the WAL reports them durable,
/// appended bytes become readable and writers' durable event numbers advance. Opening replays the WAL.
/// </summary>
/// <remarks>
/// Append record payload: <c>[u8 type=1][i64 streamId][i64 segmentId][i64 eventNumber][u8 idLength][writer id]
/// [i32 eventLength][event]</c>; the last two fields are the segment's bytes for the event, so the read index
/// points into the WAL and no copy is made.
/// </remarks>
internal sealed partial class SegmentContainer : IAsyncDisposable
{
    private const int AppendHeaderSize = 1 + 8 + 8 + 8 + 1;
    public const int EventHeaderSize = 4;
    public const long NoEventNumber = -1;

    private readonly Dictionary<(long StreamId, long SegmentId), Segment> _segments = [];
    private readonly Dictionary<(long StreamId, string WriterId), WriterState> _writers = [];
    private readonly PendingEffects _pending = new();
    private readonly List<DataSignal> _toSignal = [];
    private readonly IMetadataLog _metadata;
    private readonly WalOptions _walOptions;
    private readonly ILogger _logger;
    private WriteAheadLog? _log;

    private SegmentContainer(IMetadataLog metadata, WalOptions options)
    {
        _metadata = metadata;
        _walOptions = options;
        _logger = options.LoggerFactory.CreateLogger("Pravega.Embedded.SegmentStore");
    }

    /// <summary>The container lock: every state change of the container and of the metadata above happens under it.</summary>
    public object Lock { get; } = new();

    public WriteAheadLog Log => _log!;

    /// <summary>Largest event the WAL can hold for a writer id of the given length.</summary>
    public int MaxEventSize(int writerIdLength) => Log.MaxPayloadSize - AppendHeaderSize - writerIdLength - EventHeaderSize;

    /// <summary>
    /// Opens the container: restores the newest checkpoint if there is one (<see cref="CheckpointFiles"/>), then recovers
    /// and replays the log (records the checkpoint covers only to index live bytes again).
    /// </summary>
    /// <exception cref="StorageCorruptedException">The log does not hold what the checkpoint needs (nothing was written).</exception>
    public static SegmentContainer Open(WalOptions options, IMetadataLog metadata)
    {
        var container = new SegmentContainer(metadata, options);
        ContainerCheckpoint? checkpoint = null;
        container._log = WriteAheadLog.Open(options, container.Replay, container.OnDurable, locked: () =>
        {
            checkpoint = CheckpointFiles.ReadNewest(options.Device, options.Directories);
            if (checkpoint is null) return;
            RequireNeededFiles(options, checkpoint);
            container.Restore(checkpoint);
        }, replayed: report =>
        {
            if (checkpoint is null) return;
            if (checkpoint.StoreId != report.StoreId)
                throw new StorageCorruptedException(
                    $"The checkpoint at LSN {checkpoint.Lsn} belongs to store {checkpoint.StoreId}, the log to store {report.StoreId}: a checkpoint of another store was copied in. Nothing was changed.");
            if (report.NextLsn - 1 < checkpoint.Lsn)
                throw new StorageCorruptedException(
                    $"The checkpoint at LSN {checkpoint.Lsn} is newer than the log, which ends at LSN {report.NextLsn - 1}: " +
                    "the log lost records that were durable when the checkpoint was taken. Nothing was changed.");
            if (container._checkpointLsn > 0) container.FinishRestore();
        });
        container._log.FileActivated = container.OnFileActivated;
        return container;
    }

    /// <summary>
    /// Refuses, before recovery touches anything, a log whose files start after the first one the checkpoint needs
    /// (files deleted by hand, a mirror set from elsewhere): opening would lose the live bytes in them.
    /// </summary>
    private static void RequireNeededFiles(WalOptions options, ContainerCheckpoint checkpoint)
    {
        long first = long.MaxValue;
        foreach (string dir in options.Directories)
            foreach (string name in options.Device.ListFiles(dir))
                if (WalFormat.TryParseFileName(name, out long sequence)) first = Math.Min(first, sequence);
        if (first > checkpoint.FirstNeededFile)
            throw new StorageCorruptedException(
                $"The checkpoint at LSN {checkpoint.Lsn} needs the WAL from file {WalFormat.FileName(checkpoint.FirstNeededFile)} on, but no mirror holds it " +
                $"(the log starts at {(first == long.MaxValue ? "no file at all" : WalFormat.FileName(first))}): log files the store still needed are gone. Nothing was changed.",
                directory: null, WalFormat.FileName(checkpoint.FirstNeededFile), offset: null, lsn: checkpoint.Lsn);
    }

    // ---- segments (called by the metadata log under the lock) ----

    public Segment CreateSegment(long streamId, long segmentId, string scope, string stream)
    {
        var segment = new Segment(streamId, segmentId, scope, stream);
        _segments.Add((streamId, segmentId), segment);
        return segment;
    }

    /// <summary>Seals a segment; <paramref name="lsn"/> is the record doing it (0 on replay: durable already).</summary>
    public void SealSegment(Segment segment, long lsn)
    {
        segment.Seal();
        if (lsn == 0) segment.MakeSealDurable();
        else _pending.Enqueue(new PendingEffect(lsn, segment, -1, null, NoEventNumber, EffectKind.Seal));
    }

    /// <summary>
    /// Truncates a segment at <paramref name="offset"/> (an event boundary within its durable bytes, checked by the
    /// caller); <paramref name="lsn"/> is the record doing it (0 on replay: durable already). Readers see the new
    /// start offset once the record is durable; a lower offset than the current one is ignored.
    /// </summary>
    public void TruncateSegment(Segment segment, long offset, long lsn)
    {
        if (lsn == 0) segment.MakeTruncationDurable(offset);
        else
        {
            segment.Truncate(offset);
            _pending.Enqueue(new PendingEffect(lsn, segment, offset, null, NoEventNumber, EffectKind.Truncation));
        }
    }

    /// <summary>
    /// Deletes a segment (its stream's deletion record is being applied; container lock): its Tier-2 data is removed once
    /// that record is durable.
    /// </summary>
    public void DeleteSegment(Segment segment)
    {
        _segments.Remove((segment.StreamId, segment.SegmentId));
        segment.Delete();
        ForgetUntiered(segment);
        Tierer?.OnDeleted(segment, CurrentLsn);
    }

    // ---- tiering ----

    /// <summary>Moves segment data to Tier-2; null when the store has no Tier-2 (set once at open).</summary>
    public SegmentTierer? Tierer { get; private set; }

    /// <summary>Segments with durable bytes not yet in Tier-2 (container lock; kept only with a tierer).</summary>
    private readonly HashSet<Segment> _untiered = [];

    /// <summary>The segments with durable bytes not yet in Tier-2 (container lock).</summary>
    public IReadOnlyCollection<Segment> Untiered => _untiered;

    /// <summary>A segment leaves the set: its bytes are tiered (or truncated) as far as they are durable, or it is deleted (container lock).</summary>
    public void ForgetUntiered(Segment segment)
    {
        _untiered.Remove(segment);
        segment.InUntiered = false;
    }

    /// <summary>
    /// Notes a segment that may hold untiered durable bytes (container lock): after each durable append, and for every
    /// segment at the tierer's start. Once per segment until it leaves the set: not a set lookup per event.
    /// </summary>
    public void NoteUntiered(Segment segment)
    {
        if (!segment.InUntiered && !segment.IsDeleted && segment.DurableLength > segment.TierFrom)
        {
            _untiered.Add(segment);
            segment.InUntiered = true;
        }
    }

    /// <summary>
    /// The greatest event boundary at or before <paramref name="offset"/> of <paramref name="segment"/>'s durable bytes,
    /// not below its accepted start (container lock): from the index, or in tiered bytes from the Tier-2 blocks in the
    /// cache (see <see cref="SegmentTierer.LoadBoundaryBlocksAsync"/>), else the block's first boundary the manifest records.
    /// </summary>
    public long BoundaryAtOrBefore(Segment segment, long offset)
    {
        long boundary = segment.BoundaryAtOrBefore(offset);
        if (Tierer is null || offset >= segment.TieredLength || offset <= boundary) return boundary;
        for (long block = TierBlocks.Of(offset); block >= TierBlocks.Of(boundary); block--)
        {
            long at = block == TierBlocks.Of(offset) ? offset : Math.Max(TierBlocks.StartOf(block), segment.StartOffset);
            if (!Tierer.Cache.TryGet(segment, at, out var cached)) break;
            if (cached.GreatestStartAtOrBefore(offset) is { } start) return Math.Max(boundary, start);
        }
        return boundary;
    }

    /// <summary>Every existing segment (container lock).</summary>
    public IEnumerable<Segment> AllSegments => _segments.Values;

    /// <summary>Gives the container its tierer (once, at open, before anything is appended).</summary>
    public void AttachTierer(SegmentTierer tierer) => Tierer = tierer;

    /// <summary>
    /// Records that <paramref name="segment"/>'s bytes up to <paramref name="tieredLength"/> are in Tier-2 (container lock;
    /// the manifest describing them is durable). Returns the record's LSN, or 0 when the segment was deleted meanwhile.
    /// </summary>
    public long RecordTiered(Segment segment, long tieredLength)
    {
        if (segment.IsDeleted || tieredLength <= segment.AcceptedTieredLength) return 0;
        if (tieredLength > segment.DurableLength) throw new InvalidOperationException($"Tiered length {tieredLength} is beyond the durable length {segment.DurableLength}.");
        var state = (segment.StreamId, segment.SegmentId, tieredLength);
        long lsn = Log.Append(1 + 8 + 8 + 8, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.SegmentTiered);
            w.WriteInt64(s.StreamId);
            w.WriteInt64(s.SegmentId);
            w.WriteInt64(s.tieredLength);
        }, out _);
        segment.AcceptTiered(tieredLength);
        _pending.Enqueue(new PendingEffect(lsn, segment, tieredLength, null, NoEventNumber, EffectKind.Tiered));
        return lsn;
    }

    public void DeleteWriters(long streamId)
    {
        foreach (var key in _writers.Keys.Where(k => k.StreamId == streamId).ToList()) _writers.Remove(key);
    }

    /// <summary>Index entries held by all segments (what open rebuilt and readers can reach in the WAL; benchmarks, tests).</summary>
    public long IndexedEvents
    {
        get
        {
            lock (Lock) return _segments.Values.Sum(s => (long)s.IndexCount);
        }
    }

    /// <summary>Durable state of a writer id on a stream, if it ever wrote there (any thread).</summary>
    public long LastEventNumber(long streamId, string writerId)
    {
        lock (Lock) return _writers.TryGetValue((streamId, writerId), out var w) ? w.DurableEventNumber : -1;
    }

    // ---- appends ----

    /// <summary>
    /// Appends one event to <paramref name="segment"/> (caller holds <see cref="Lock"/> and has checked the stream).
    /// With an event number, a number not above the writer's last accepted one is a duplicate: nothing is written
    /// and the LSN to wait for is the one that carried the writer's last accepted event (0 if replay or a checkpoint
    /// restored it: durable already). Returns the LSN to await, or, not a duplicate, 0 when the segment is sealed (a
    /// scale or the stream's seal got there first): nothing was written, and the caller routes the event again.
    /// </summary>
    public long AppendEvent(Segment segment, string? writerId, long eventNumber, ReadOnlySpan<byte> evt, out bool duplicate)
    {
        duplicate = false;
        WriterState? writer = null;
        if (writerId is not null && eventNumber != NoEventNumber)
        {
            if (_writers.TryGetValue((segment.StreamId, writerId), out writer) && eventNumber <= writer.AcceptedEventNumber)
            {
                duplicate = true;
                return writer.AcceptedLsn;
            }
        }
        if (segment.IsSealed) return 0;
        if (segment.HoldsBytes) throw new InvalidOperationException($"Stream {segment.Scope}/{segment.Stream} is a byte stream; events cannot be written to it.");
        if (writer is null && writerId is not null && eventNumber != NoEventNumber)
            _writers.Add((segment.StreamId, writerId), writer = new WriterState());
        return AppendAccepted(segment, writer, writerId, eventNumber, evt);
    }

    /// <summary>Appends an event the exactly-once check and the segment accepted (record 1); <paramref name="writer"/> is the state a numbered event moves.</summary>
    private long AppendAccepted(Segment segment, WriterState? writer, string? writerId, long eventNumber, ReadOnlySpan<byte> evt)
    {
        int idLength = writerId?.Length ?? 0;
        var state = new AppendState(segment.StreamId, segment.SegmentId, eventNumber, writerId, evt);
        long lsn = Log.Append(AppendHeaderSize + idLength + EventHeaderSize + evt.Length, state, WriteAppend, out var address);
        int segmentBytes = EventHeaderSize + evt.Length;
        var entry = new SegmentIndexEntry(segment.Length, segmentBytes, address with { Position = address.Position + AppendHeaderSize + idLength });
        segment.Add(entry);
        if (writer is not null)
        {
            writer.AcceptedEventNumber = eventNumber;
            writer.AcceptedLsn = lsn;
        }
        _pending.EnqueueAppend(Log.LastAppendCommit, lsn, segment, entry.End, writer, eventNumber);
        return lsn;
    }

    /// <summary>
    /// Appends one event to <paramref name="segment"/> only if its length (appends accepted so far, durable or not) is
    /// <paramref name="expectedLength"/>, atomically with the check (caller holds <see cref="Lock"/> and has checked the
    /// stream): the state synchronizer's and table segments' conditional append. Returns the LSN to await, or 0 when the
    /// length differs or the segment is sealed: nothing was written. The record is a plain append (replay has no
    /// condition to check: it was checked when the record was accepted).
    /// </summary>
    public long AppendEventIfLength(Segment segment, long expectedLength, ReadOnlySpan<byte> evt)
    {
        if (segment.Length != expectedLength) return 0;
        return AppendEvent(segment, writerId: null, NoEventNumber, evt, out _);
    }

    private readonly ref struct AppendState(long streamId, long segmentId, long eventNumber, string? writerId, ReadOnlySpan<byte> evt)
    {
        public readonly long StreamId = streamId;
        public readonly long SegmentId = segmentId;
        public readonly long EventNumber = eventNumber;
        public readonly string? WriterId = writerId;
        public readonly ReadOnlySpan<byte> Event = evt;
    }

    private static readonly PayloadWriter<AppendState> WriteAppend = static (destination, s) =>
    {
        var w = new RecordWriter(destination);
        w.WriteByte((byte)RecordType.Append);
        w.WriteInt64(s.StreamId);
        w.WriteInt64(s.SegmentId);
        w.WriteInt64(s.EventNumber);
        w.WriteByte((byte)(s.WriterId?.Length ?? 0));
        if (s.WriterId is not null) w.Advance(Encoding.ASCII.GetBytes(s.WriterId, destination[w.Written..]));
        w.WriteInt32(s.Event.Length);
        w.WriteBytes(s.Event);
    };

    // ---- metadata ----

    /// <summary>
    /// Appends a metadata record and applies it (caller holds <see cref="Lock"/> and has validated it). Returns its LSN.
    /// </summary>
    public long AppendMetadata(ReadOnlySpan<byte> record)
    {
        long lsn = Log.Append(1 + record.Length, record, static (destination, r) =>
        {
            destination[0] = (byte)RecordType.Metadata;
            r.CopyTo(destination[1..]);
        }, out _);
        LastMetadataLsn = lsn;
        CurrentLsn = lsn;
        _metadata.Apply(record, this);
        CurrentLsn = 0;
        return lsn;
    }

    /// <summary>
    /// The LSN of the last metadata record accepted (caller holds <see cref="Lock"/>); 0 if none since the store opened
    /// (replayed records are durable already). Metadata is applied when accepted, so whoever reports metadata state
    /// waits for this LSN first: then what it reports is durable.
    /// </summary>
    public long LastMetadataLsn { get; private set; }

    /// <summary>The LSN of the metadata record being applied (0 during replay: it is durable already).</summary>
    public long CurrentLsn { get; private set; }

    // ---- reads ----

    /// <summary>The segment's bytes of a durable index entry, straight from the WAL mapping.</summary>
    public WalReadLease Read(in SegmentIndexEntry entry) => Log.Read(entry.Address, entry.Length);

    // ---- replay and durability ----

    private void Replay(long lsn, LogAddress address, ReadOnlySpan<byte> payload)
    {
        var r = new RecordReader(payload);
        if (_checkpointLsn > 0)
        {
            if (lsn <= _checkpointLsn)
            {
                ReplayCovered(r, payload, address);
                return;
            }
            FinishRestore();
        }
        var type = (RecordType)r.ReadByte();
        switch (type)
        {
            case RecordType.Append:
            {
                var append = ReplayedAppend.Read(ref r, address);
                if (!_segments.TryGetValue((append.StreamId, append.SegmentId), out var segment))
                    throw new StorageCorruptedException($"WAL record {lsn} appends to segment {append.SegmentId} of stream {append.StreamId}, which does not exist.");
                IndexReplayed(segment, EventHeaderSize + append.EventLength, append.EntryAddress);
                if (!append.WriterId.IsEmpty && append.EventNumber != NoEventNumber)
                {
                    string writerId = Encoding.ASCII.GetString(append.WriterId);
                    if (!_writers.TryGetValue((append.StreamId, writerId), out var writer))
                        _writers.Add((append.StreamId, writerId), writer = new WriterState());
                    writer.AcceptedEventNumber = writer.DurableEventNumber = append.EventNumber;
                    writer.AcceptedLsn = lsn;
                }
                break;
            }
            case RecordType.AppendBatch:
                ReplayBatch(payload, lsn, address);
                break;
            case RecordType.Metadata:
                _metadata.Apply(r.Rest, this);
                break;
            case RecordType.SegmentTiered:
            {
                long streamId = r.ReadInt64(), segmentId = r.ReadInt64(), tiered = r.ReadInt64();
                if (!_segments.TryGetValue((streamId, segmentId), out var segment) || tiered > segment.Length)
                    throw new StorageCorruptedException($"WAL record {lsn} says {tiered} bytes of segment {segmentId} of stream {streamId} are tiered, which it does not hold.");
                segment.MakeTieredDurable(tiered);
                break;
            }
            case RecordType.TransactionBegin or RecordType.TransactionAppend or RecordType.TransactionBytes or RecordType.TransactionCommit or RecordType.TransactionAbort:
                ReplayTransaction(type, ref r, lsn, address);
                break;
            case RecordType.TransactionStaged or RecordType.TransactionRelog:
                ReplayStaging(type, ref r, lsn, address);
                break;
            default:
                throw new StorageCorruptedException($"WAL record {lsn} has an unknown type.");
        }
    }

    /// <summary>
    /// A record the checkpoint covers: only live bytes matter, placed by appends (<see cref="ReplayCoveredAppend"/>,
    /// <see cref="ReplayCoveredBatch"/>) and transaction commits (<see cref="ReplayCoveredTransaction"/>).
    /// </summary>
    private void ReplayCovered(RecordReader r, ReadOnlySpan<byte> payload, LogAddress address)
    {
        var type = (RecordType)r.ReadByte();
        if (type == RecordType.Append) ReplayCoveredAppend(ReplayedAppend.Read(ref r, address));
        else if (type == RecordType.AppendBatch) ReplayCoveredBatch(payload, address);
        else if (type is RecordType.TransactionAppend or RecordType.TransactionBytes or RecordType.TransactionCommit or RecordType.TransactionAbort) ReplayCoveredTransaction(type, ref r, address);
        else if (type == RecordType.TransactionRelog) ReplayCoveredRelog(ref r, address); // a staged record is in the checkpoint's state
    }

    /// <summary>Indexes replayed segment bytes (<paramref name="length"/> at <paramref name="address"/>) at the end of <paramref name="segment"/>, durable already.</summary>
    private static void IndexReplayed(Segment segment, int length, LogAddress address)
    {
        var entry = new SegmentIndexEntry(segment.Length, length, address);
        segment.Add(entry);
        segment.MakeDurable(entry.End);
    }

    /// <summary>
    /// The fields of an append record (docs/FORMAT.md, record 1) after its type byte, as replay needs them, and where its
    /// event's segment bytes (<c>[i32 length][event]</c>) lie in the WAL.
    /// </summary>
    private readonly ref struct ReplayedAppend
    {
        public long StreamId { get; init; }
        public long SegmentId { get; init; }
        public long EventNumber { get; init; }
        public ReadOnlySpan<byte> WriterId { get; init; }
        public int EventLength { get; init; }
        public LogAddress EntryAddress { get; init; }

        /// <param name="r">Positioned after the record's type byte.</param>
        /// <param name="address">Where the record's payload starts.</param>
        public static ReplayedAppend Read(ref RecordReader r, LogAddress address)
        {
            long streamId = r.ReadInt64(), segmentId = r.ReadInt64(), eventNumber = r.ReadInt64();
            int idLength = r.ReadByte();
            var writerId = r.ReadBytes(idLength);
            int length = r.ReadInt32();
            r.ReadBytes(length);
            return new ReplayedAppend
            {
                StreamId = streamId,
                SegmentId = segmentId,
                EventNumber = eventNumber,
                WriterId = writerId,
                EventLength = length,
                EntryAddress = address with { Position = address.Position + AppendHeaderSize + idLength },
            };
        }
    }

    /// <summary>
    /// Test seam: called on the flusher thread with each new durable LSN before anything of it becomes visible. A hook
    /// that blocks holds back durability and every acknowledgement (the WAL moves its durable LSN only afterwards).
    /// </summary>
    internal Action<long>? BeforeDurable { get; set; }

    /// <summary>On the flusher thread: everything up to <paramref name="lsn"/> is durable; make it readable.</summary>
    private void OnDurable(long lsn)
    {
        BeforeDurable?.Invoke(lsn);
        bool truncated = false;
        lock (Lock)
        {
            while (_pending.TryTake(lsn, out var effect))
            {
                switch (effect.Kind)
                {
                    case EffectKind.Append:
                        effect.Segment.MakeDurable(effect.Offset);
                        if (Tierer is not null) NoteUntiered(effect.Segment);
                        break;
                    case EffectKind.Tiered:
                        effect.Segment.MakeTieredDurable(effect.Offset);
                        continue; // nothing new to read: no signal
                    case EffectKind.Seal: effect.Segment.MakeSealDurable(); break;
                    case EffectKind.Truncation:
                        effect.Segment.MakeTruncationDurable(effect.Offset);
                        Tierer?.OnTruncated(effect.Segment);
                        truncated = true;
                        break;
                }
                effect.Writer?.NoteDurable(effect.EventNumber);
                if (_toSignal.Count == 0 || !ReferenceEquals(_toSignal[^1], effect.Segment.Signal)) _toSignal.Add(effect.Segment.Signal);
            }
        }
        foreach (var s in _toSignal) s.Signal();
        _toSignal.Clear();
        Tierer?.Wake();
        if (truncated) ScheduleCheckpoint(); // the WAL files that held only the truncated bytes can go now
    }

    /// <summary>
    /// Waits for a checkpoint under way, takes a last one if the log has records since (so the next open replays
    /// little), and closes the log. A log that failed (or whose process died) gets no checkpoint.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_log is null) return;
        if (Tierer is not null) await Tierer.DisposeAsync().ConfigureAwait(false); // first: a round appends records
        await _scheduledCheckpoint.ConfigureAwait(false);
        if (_log.LastAppendedLsn > Math.Max(LastCheckpointLsn, _log.Recovery.NextLsn))
        {
            try
            {
                await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                SegmentStoreLog.CheckpointFailed(_logger, e);
            }
        }
        await _log.DisposeAsync().ConfigureAwait(false);
        _checkpointGate.Dispose();
    }
}
