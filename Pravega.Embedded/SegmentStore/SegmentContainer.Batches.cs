using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Batched appends (docs/FORMAT.md, record 14; docs/DESIGN.md, "Batched appends"): a writer's staged events, gathered
/// under the container lock (<see cref="BeginBatch"/>, <see cref="AppendBatch.TryGather"/>) and appended as records of many events
/// each (<see cref="AppendBatched"/>), in call order. A record is one frame: its events become durable together, and a
/// later record only after it, so a writer's durability stays prefix-closed across segments, as with one record per event.
/// </summary>
internal sealed partial class SegmentContainer
{
    /// <summary><c>[u8 type][i64 streamId][u8 idLength][i64 lastEventNumber][i32 runs]</c>, the writer id besides.</summary>
    private const int BatchHeaderSize = 1 + 8 + 1 + 8 + 4;

    /// <summary><c>[i64 segmentId][i32 count]</c>: a run of events of one segment.</summary>
    private const int RunHeaderSize = 8 + 4;

    /// <summary>
    /// The payload a batch record aims at: large enough that its header is nothing per event, small enough that the
    /// space a file's end leaves unused and what one frame's CRC walks stay small.
    /// </summary>
    private const int BatchRecordBytes = 64 << 10;

    private readonly AppendBatch _batch = new();
    private long _batchRecords;

    /// <summary>Batch records appended since the store opened (tests, benchmarks: how often appends were batched).</summary>
    public long BatchRecords => Volatile.Read(ref _batchRecords);

    /// <summary>Starts gathering the appends of <paramref name="writerId"/> on <paramref name="streamId"/> (container lock): the container's one batch.</summary>
    public AppendBatch BeginBatch(long streamId, string writerId)
    {
        _writers.TryGetValue((streamId, writerId), out var writer);
        _batch.Begin(streamId, writerId, writer);
        return _batch;
    }

    /// <summary>
    /// Appends what <paramref name="batch"/> gathered (container lock), the events' bytes taken from
    /// <paramref name="source"/>: as records of about <see cref="BatchRecordBytes"/> each, a record of one event as a
    /// plain append (record 1). Indexes every event, moves the writer's exactly-once state, and returns the last
    /// record's LSN (0 if nothing was gathered). The batch is empty afterwards.
    /// </summary>
    public long AppendBatched(AppendBatch batch, ReadOnlySpan<byte> source)
    {
        var events = batch.Events;
        if (events.IsEmpty) return 0;
        if (batch.LastEventNumber != NoEventNumber && batch.Writer is null)
            _writers.Add((batch.StreamId, batch.WriterId), batch.Writer = new WriterState());
        int cap = Math.Min(Log.MaxPayloadSize, BatchRecordBytes);
        long lsn = 0;
        for (int i = 0; i < events.Length;)
        {
            int size = BatchHeaderSize + batch.WriterId.Length, runs = 0, j = i;
            for (Segment? run = null; j < events.Length; j++)
            {
                bool newRun = !ReferenceEquals(events[j].Segment, run);
                int add = EventHeaderSize + events[j].Length + (newRun ? RunHeaderSize : 0);
                if (j > i && size + add > cap) break; // a record takes at least one event: each fits alone (MaxEventSize)
                size += add;
                if (newRun) (run, runs) = (events[j].Segment, runs + 1);
            }
            lsn = j == i + 1 ? AppendOneGathered(batch, events[i], source) : AppendBatchRecord(batch, events[i..j], source, size, runs);
            i = j;
        }
        batch.Clear();
        return lsn;
    }

    private long AppendOneGathered(AppendBatch batch, in BatchedEvent e, ReadOnlySpan<byte> source)
    {
        var writer = e.EventNumber == NoEventNumber ? null : batch.Writer;
        return AppendAccepted(e.Segment, writer, batch.WriterId, e.EventNumber, source.Slice(e.Start, e.Length));
    }

    private long AppendBatchRecord(AppendBatch batch, ReadOnlySpan<BatchedEvent> events, ReadOnlySpan<byte> source, int size, int runs)
    {
        long last = NoEventNumber;
        foreach (ref readonly var e in events)
            if (e.EventNumber != NoEventNumber) last = e.EventNumber;
        var state = new BatchState(batch.StreamId, batch.WriterId, last, runs, events, source);
        long lsn = Log.Append(size, state, WriteBatch, out var address);
        Volatile.Write(ref _batchRecords, _batchRecords + 1);
        long commit = Log.LastAppendCommit;
        var writer = last == NoEventNumber ? null : batch.Writer;
        int position = BatchHeaderSize + batch.WriterId.Length;
        for (int k = 0; k < events.Length; k++)
        {
            var segment = events[k].Segment;
            if (k == 0 || !ReferenceEquals(events[k - 1].Segment, segment)) position += RunHeaderSize;
            int bytes = EventHeaderSize + events[k].Length;
            segment.Add(new SegmentIndexEntry(segment.Length, bytes, address with { Position = address.Position + position }));
            position += bytes;
            if (k == events.Length - 1 || !ReferenceEquals(events[k + 1].Segment, segment))
                _pending.EnqueueAppend(commit, lsn, segment, segment.Length, writer, last); // the record is durable whole
        }
        if (writer is not null)
        {
            writer.AcceptedEventNumber = last;
            writer.AcceptedLsn = lsn;
        }
        return lsn;
    }

    private readonly ref struct BatchState(long streamId, string writerId, long lastEventNumber, int runs, ReadOnlySpan<BatchedEvent> events, ReadOnlySpan<byte> source)
    {
        public readonly long StreamId = streamId;
        public readonly string WriterId = writerId;
        public readonly long LastEventNumber = lastEventNumber;
        public readonly int Runs = runs;
        public readonly ReadOnlySpan<BatchedEvent> Events = events;
        public readonly ReadOnlySpan<byte> Source = source;
    }

    private static readonly PayloadWriter<BatchState> WriteBatch = static (destination, s) =>
    {
        var w = new RecordWriter(destination);
        w.WriteByte((byte)RecordType.AppendBatch);
        w.WriteInt64(s.StreamId);
        w.WriteByte((byte)s.WriterId.Length);
        w.Advance(Encoding.ASCII.GetBytes(s.WriterId, destination[w.Written..]));
        w.WriteInt64(s.LastEventNumber);
        w.WriteInt32(s.Runs);
        var events = s.Events;
        for (int i = 0; i < events.Length;)
        {
            var segment = events[i].Segment;
            int end = i + 1;
            while (end < events.Length && ReferenceEquals(events[end].Segment, segment)) end++;
            w.WriteInt64(segment.SegmentId);
            w.WriteInt32(end - i);
            for (; i < end; i++)
            {
                w.WriteInt32(events[i].Length);
                w.WriteBytes(s.Source.Slice(events[i].Start, events[i].Length));
            }
        }
    };

    // ---- replay ----

    /// <summary>Replays a batch record after the checkpoint (or without one): indexes its events, restores the writer's last number.</summary>
    private void ReplayBatch(ReadOnlySpan<byte> payload, long lsn, LogAddress address)
    {
        var batch = new ReplayedBatch(payload, address);
        Segment? segment = null;
        while (batch.MoveNext())
        {
            if (batch.NewRun && !_segments.TryGetValue((batch.StreamId, batch.SegmentId), out segment))
                throw new StorageCorruptedException($"WAL record {lsn} appends to segment {batch.SegmentId} of stream {batch.StreamId}, which does not exist.");
            IndexReplayed(segment!, EventHeaderSize + batch.EventLength, batch.EntryAddress);
        }
        if (batch.LastEventNumber == NoEventNumber || batch.WriterId.IsEmpty) return;
        string writerId = Encoding.ASCII.GetString(batch.WriterId);
        if (!_writers.TryGetValue((batch.StreamId, writerId), out var writer))
            _writers.Add((batch.StreamId, writerId), writer = new WriterState());
        writer.AcceptedEventNumber = writer.DurableEventNumber = batch.LastEventNumber;
        writer.AcceptedLsn = lsn;
    }

    /// <summary>A batch record the checkpoint covers: its events are placed again where they are live (as <see cref="ReplayCoveredAppend"/>, each).</summary>
    private void ReplayCoveredBatch(ReadOnlySpan<byte> payload, LogAddress address)
    {
        var batch = new ReplayedBatch(payload, address);
        Restoring? restoring = null;
        while (batch.MoveNext())
        {
            if (batch.NewRun) _restoring.TryGetValue((batch.StreamId, batch.SegmentId), out restoring);
            if (restoring is not null) PlaceCovered(restoring, batch.EntryAddress, EventHeaderSize + batch.EventLength, batch.EntryAddress);
        }
    }

    /// <summary>
    /// Walks a batch record's events (docs/FORMAT.md, record 14): for each, its segment, its length and where its segment
    /// bytes (<c>[i32 length][event]</c>) lie in the WAL. A record that does not add up is damage.
    /// </summary>
    private ref struct ReplayedBatch
    {
        private readonly int _payloadLength;
        private readonly LogAddress _address;
        private RecordReader _r;
        private int _runsLeft;
        private int _eventsLeft;

        public ReplayedBatch(ReadOnlySpan<byte> payload, LogAddress address)
        {
            _payloadLength = payload.Length;
            _address = address;
            _r = new RecordReader(payload);
            if ((RecordType)_r.ReadByte() != RecordType.AppendBatch) throw new InvalidOperationException("Not a batch record.");
            StreamId = _r.ReadInt64();
            WriterId = _r.ReadBytes(_r.ReadByte());
            LastEventNumber = _r.ReadInt64();
            _runsLeft = _r.ReadInt32();
            if (_runsLeft <= 0) throw new StorageCorruptedException($"A batch record at {address} has {_runsLeft} runs.");
        }

        public long StreamId { get; }
        public ReadOnlySpan<byte> WriterId { get; }
        public long LastEventNumber { get; }
        public long SegmentId { get; private set; }
        public int EventLength { get; private set; }
        public LogAddress EntryAddress { get; private set; }

        /// <summary>Whether the current event starts a run (its segment differs from the previous event's).</summary>
        public bool NewRun { get; private set; }

        public bool MoveNext()
        {
            NewRun = _eventsLeft == 0;
            if (NewRun)
            {
                if (_runsLeft == 0)
                {
                    if (_r.Remaining != 0) throw new StorageCorruptedException($"A batch record at {_address} holds {_r.Remaining} bytes after its last run.");
                    return false;
                }
                _runsLeft--;
                SegmentId = _r.ReadInt64();
                _eventsLeft = _r.ReadInt32();
                if (_eventsLeft <= 0) throw new StorageCorruptedException($"A batch record at {_address} has a run of {_eventsLeft} events.");
            }
            _eventsLeft--;
            EntryAddress = _address with { Position = _address.Position + (_payloadLength - _r.Remaining) };
            EventLength = _r.ReadInt32();
            if (EventLength < 0) throw new StorageCorruptedException($"A batch record at {_address} holds an event of {EventLength} bytes.");
            _r.ReadBytes(EventLength);
            return true;
        }
    }
}
