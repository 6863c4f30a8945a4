using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Transactions (docs/DESIGN.md, "Transactions"): an open transaction's events are WAL records of their own, indexed by
/// the transaction only, so no reader sees them. The commit is one record naming the segments its events go to; applying
/// it appends the transaction's index entries to those segments, each segment's contiguously, and they become readable
/// when that record is durable. No event byte is copied: the entries keep pointing at the transaction's records.
/// </summary>
/// <remarks>
/// Records (docs/FORMAT.md, 6-10): begin <c>[u8 6][i64 stream][16 id][i64 timeout ticks][u8 w][writer id]</c>; event
/// <c>[u8 7][16 id][f64 point][i32 length][event]</c>; commit <c>[u8 8][16 id][i64 stream][i32 n]</c> then n times
/// <c>[i64 segment][f64 low][f64 high][i32 events]</c>; abort <c>[u8 9][16 id][u8 reason]</c>. A byte stream's flush
/// unit (docs/DESIGN.md, "Byte streams") is a transaction too: its begin record ends with flags (bit 0), and its bytes are
/// records <c>[u8 11][16 id][i32 length][bytes]</c> placed without event framing.
/// </remarks>
internal sealed partial class SegmentContainer
{
    /// <summary>Finished transactions whose status the store still answers for, newest first kept.</summary>
    public const int RememberedTransactions = 4096;

    private const int TransactionAppendHeaderSize = 1 + 16 + 8;
    private const int UnitBytesHeaderSize = 1 + 16 + 4;

    /// <summary>The key-space point of a flush unit's chunks: a byte stream has one segment, holding the whole key space.</summary>
    private const double ByteUnitPoint = 0.5;

    /// <summary>Begin-record flag: a byte stream's flush unit.</summary>
    private const byte TransactionFlagBytes = 1;

    /// <summary>Begin-record flag: never staged in Tier-2 (a key-value table's or state synchronizer's, committed at once).</summary>
    private const byte TransactionFlagNotStageable = 2;

    private readonly Dictionary<Guid, TransactionState> _transactions = [];
    private readonly Queue<Guid> _finished = new();

    /// <summary>Events of transactions met while replaying records a checkpoint covers, until their commit or abort (open only).</summary>
    private readonly Dictionary<Guid, List<TransactionEntry>> _coveredTransactions = [];

    /// <summary>Largest event a transaction's record can hold.</summary>
    public int MaxTransactionEventSize => Log.MaxPayloadSize - TransactionAppendHeaderSize - EventHeaderSize;

    /// <summary>A transaction that is open or still remembered (container lock).</summary>
    public bool TryGetTransaction(Guid id, out TransactionState transaction) => _transactions.TryGetValue(id, out transaction!);

    /// <summary>
    /// Largest event that both a plain append without a writer id and a transaction's record can hold: what a state
    /// synchronizer's and a key-value table's records, which go either way, may take (with the API's event limit).
    /// </summary>
    public int MaxEventSizeEitherWay => Math.Min(MaxEventSize(0), MaxTransactionEventSize);

    /// <summary>Largest chunk of bytes one record of a byte stream's flush unit can hold.</summary>
    public int MaxUnitChunkSize => Log.MaxPayloadSize - UnitBytesHeaderSize;

    /// <summary>The open transactions (container lock): their leases restart when the store opens. Flush units are not among them.</summary>
    public IEnumerable<TransactionState> OpenTransactions => _transactions.Values.Where(t => t.Phase == TransactionPhase.Open && !t.IsByteUnit);

    /// <summary>Flush units of byte streams left open by a crash (container lock): their writer is gone, and they are aborted at open.</summary>
    public IEnumerable<TransactionState> OpenByteUnits => _transactions.Values.Where(t => t.Phase == TransactionPhase.Open && t.IsByteUnit);

    /// <summary>The oldest WAL file an open transaction's events are in (container lock; <see cref="long.MaxValue"/>: none).</summary>
    public long OldestOpenTransactionFile
    {
        get
        {
            long file = long.MaxValue;
            foreach (var t in _transactions.Values) file = Math.Min(file, t.FirstFile);
            return file;
        }
    }

    /// <summary>Begins a transaction on a stream the caller checked (container lock). Durable once its <see cref="TransactionState.BeginLsn"/> is.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="id">The transaction's id.</param>
    /// <param name="writerId">The writer id of the writer beginning it, if any.</param>
    /// <param name="timeout">Its lease (ignored for a flush unit: it has none).</param>
    /// <param name="byteUnit">A byte stream's flush unit: its bytes are placed without event framing (<see cref="AppendToByteUnit"/>).</param>
    /// <param name="stageable">Whether its events may be staged in Tier-2 while it is open (not for short-lived internal ones, whose commit is made under the container lock).</param>
    public TransactionState BeginTransaction(long streamId, Guid id, string? writerId, TimeSpan timeout, bool byteUnit = false, bool stageable = true)
    {
        if (_transactions.ContainsKey(id)) throw new InvalidOperationException($"Transaction id {id} is in use.");
        var state = (streamId, id, writerId, timeout.Ticks, Flags: (byte)((byteUnit ? TransactionFlagBytes : 0) | (stageable ? 0 : TransactionFlagNotStageable)));
        int length = 1 + 8 + 16 + 8 + 1 + (writerId?.Length ?? 0) + 1;
        long lsn = Log.Append(length, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.TransactionBegin);
            w.WriteInt64(s.streamId);
            w.WriteGuid(s.id);
            w.WriteInt64(s.Ticks);
            w.WriteByte((byte)(s.writerId?.Length ?? 0));
            if (s.writerId is not null) w.Advance(Encoding.ASCII.GetBytes(s.writerId, destination[w.Written..]));
            w.WriteByte(s.Flags);
        }, out _);
        var transaction = new TransactionState(id, streamId, writerId, timeout) { BeginLsn = lsn, IsByteUnit = byteUnit, Stageable = stageable && !byteUnit };
        _transactions.Add(id, transaction);
        return transaction;
    }

    /// <summary>
    /// Writes an event into an open transaction (container lock). Returns the LSN whose durability makes it durable in the
    /// transaction.
    /// </summary>
    /// <exception cref="TransactionFailedException">The transaction is not open.</exception>
    public long AppendToTransaction(TransactionState transaction, double point, ReadOnlySpan<byte> evt)
    {
        RequireOpen(transaction, "write to");
        var state = new TransactionAppendState(transaction.Id, point, evt);
        long lsn = Log.Append(TransactionAppendHeaderSize + EventHeaderSize + evt.Length, state, WriteTransactionAppend, out var address);
        transaction.Add(new TransactionEntry(point, EventHeaderSize + evt.Length, address with { Position = address.Position + TransactionAppendHeaderSize }), lsn);
        return lsn;
    }

    /// <summary>
    /// Appends a chunk of a byte stream's bytes to an open flush unit (container lock; at most <see cref="MaxUnitChunkSize"/>).
    /// Returns the LSN whose durability makes it durable in the unit; its commit places the unit's chunks in order.
    /// </summary>
    /// <exception cref="TransactionFailedException">The unit is not open (its stream was sealed).</exception>
    public long AppendToByteUnit(TransactionState unit, ReadOnlySpan<byte> bytes)
    {
        if (!unit.IsByteUnit) throw new InvalidOperationException($"Transaction {unit.Id} is not a byte stream's flush unit.");
        RequireOpen(unit, "write to");
        var state = new TransactionAppendState(unit.Id, ByteUnitPoint, bytes);
        long lsn = Log.Append(UnitBytesHeaderSize + bytes.Length, state, WriteUnitBytes, out var address);
        unit.Add(new TransactionEntry(ByteUnitPoint, bytes.Length, address with { Position = address.Position + UnitBytesHeaderSize }), lsn);
        return lsn;
    }

    private static readonly PayloadWriter<TransactionAppendState> WriteUnitBytes = static (destination, s) =>
    {
        var w = new RecordWriter(destination);
        w.WriteByte((byte)RecordType.TransactionBytes);
        w.WriteGuid(s.Id);
        w.WriteInt32(s.Event.Length);
        w.WriteBytes(s.Event);
    };

    private readonly ref struct TransactionAppendState(Guid id, double point, ReadOnlySpan<byte> evt)
    {
        public readonly Guid Id = id;
        public readonly double Point = point;
        public readonly ReadOnlySpan<byte> Event = evt;
    }

    private static readonly PayloadWriter<TransactionAppendState> WriteTransactionAppend = static (destination, s) =>
    {
        var w = new RecordWriter(destination);
        w.WriteByte((byte)RecordType.TransactionAppend);
        w.WriteGuid(s.Id);
        w.WriteDouble(s.Point);
        w.WriteInt32(s.Event.Length);
        w.WriteBytes(s.Event);
    };

    /// <summary>
    /// Commits an open transaction (container lock): routes each event with <paramref name="route"/> (the stream's active
    /// segments now), writes the commit record and appends the events' entries to their segments, contiguously per
    /// segment and in write order. They are readable once the returned LSN is durable. A transaction with staged events
    /// must have them written again first (<see cref="SegmentTierer.UnstageAsync"/>).
    /// </summary>
    /// <exception cref="TransactionFailedException">The transaction is not open.</exception>
    public long CommitTransaction(TransactionState transaction, Func<double, TransactionTarget> route)
    {
        RequireOpen(transaction, "commit");
        if (transaction.Relogged.Count != transaction.StagedCount)
            throw new InvalidOperationException($"Transaction {transaction.Id} has {transaction.StagedCount - transaction.Relogged.Count} staged events not yet written again: unstage it first.");
        var entries = transaction.AllEntries;
        var targets = new List<TransactionTarget>();
        var counts = new List<int>();
        foreach (var e in entries)
        {
            var target = route(e.Point);
            int t = targets.FindIndex(x => ReferenceEquals(x.Segment, target.Segment));
            if (t < 0)
            {
                targets.Add(target);
                counts.Add(1);
            }
            else counts[t]++;
        }
        foreach (var target in targets) RequireKind(transaction, target.Segment);
        var state = (transaction.Id, transaction.StreamId, targets, counts, transaction.StagedCount);
        long lsn = Log.Append(1 + 16 + 8 + 4 + (targets.Count * (8 + 8 + 8 + 4)) + 4, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.TransactionCommit);
            w.WriteGuid(s.Id);
            w.WriteInt64(s.StreamId);
            w.WriteInt32(s.targets.Count);
            for (int i = 0; i < s.targets.Count; i++)
            {
                w.WriteInt64(s.targets[i].Segment.SegmentId);
                w.WriteDouble(s.targets[i].Range.Low);
                w.WriteDouble(s.targets[i].Range.High);
                w.WriteInt32(s.counts[i]);
            }
            w.WriteInt32(s.StagedCount);
        }, out var address);
        Place(transaction, entries, targets, address, lsn);
        FreeStaging(transaction, lsn);
        transaction.Finish(TransactionPhase.Committed, lsn);
        Remember(transaction);
        return lsn;
    }

    /// <summary>
    /// Commits an open transaction into one segment only if that segment's length (appends accepted so far) is
    /// <paramref name="expectedLength"/>, atomically with the check (container lock): the state synchronizer's snapshot in
    /// parts. Returns the commit record's LSN, or 0 when the length differs: nothing was written, the transaction is open.
    /// </summary>
    /// <exception cref="TransactionFailedException">The transaction is not open.</exception>
    public long CommitTransactionIfLength(TransactionState transaction, TransactionTarget target, long expectedLength)
    {
        RequireOpen(transaction, "commit");
        if (target.Segment.Length != expectedLength) return 0;
        return CommitTransaction(transaction, _ => target);
    }

    /// <summary>
    /// A segment holds events or a byte stream's bytes, never both: the first commit or append decides, and the other kind
    /// is refused before anything is written.
    /// </summary>
    private static void RequireKind(TransactionState transaction, Segment segment)
    {
        if (transaction.IsByteUnit == segment.HoldsBytes || (transaction.IsByteUnit && segment.Length == 0)) return;
        throw new InvalidOperationException(transaction.IsByteUnit
            ? $"Stream {segment.Scope}/{segment.Stream} holds events; bytes cannot be written to it as a byte stream."
            : $"Stream {segment.Scope}/{segment.Stream} is a byte stream; events cannot be committed into it.");
    }

    /// <summary>
    /// Appends a committed transaction's entries to their target segments (container lock): each entry to the target
    /// whose range holds its point, each target's entries together. With <paramref name="lsn"/> 0 (replay) they are durable
    /// at once; otherwise readable once that LSN is.
    /// </summary>
    private void Place(TransactionState transaction, IReadOnlyList<TransactionEntry> entries, IReadOnlyList<TransactionTarget> targets, LogAddress commitAddress, long lsn)
    {
        foreach (var target in targets)
        {
            var segment = target.Segment;
            if (transaction.IsByteUnit) segment.HoldsBytes = true;
            long start = segment.Length;
            long firstFile = long.MaxValue;
            foreach (var e in entries)
            {
                if (!target.Range.Contains(e.Point)) continue;
                segment.Add(new SegmentIndexEntry(segment.Length, e.Length, e.Address));
                firstFile = Math.Min(firstFile, e.Address.FileSequence);
            }
            if (segment.Length == start) continue;
            segment.AddMerge(new MergedRange(start, segment.Length, commitAddress, firstFile));
            if (lsn == 0) segment.MakeDurable(segment.Length);
            else _pending.Enqueue(new PendingEffect(lsn, segment, segment.Length, null, NoEventNumber, EffectKind.Append));
        }
    }

    /// <summary>Aborts an open transaction (container lock): its events are dropped. Returns the abort record's LSN.</summary>
    /// <exception cref="TransactionFailedException">The transaction is not open.</exception>
    public long AbortTransaction(TransactionState transaction, AbortReason reason)
    {
        RequireOpen(transaction, "abort");
        var state = (transaction.Id, reason);
        long lsn = Log.Append(1 + 16 + 1, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.TransactionAbort);
            w.WriteGuid(s.Id);
            w.WriteByte((byte)s.reason);
        }, out _);
        FreeStaging(transaction, lsn);
        transaction.Finish(TransactionPhase.Aborted, lsn, reason);
        Remember(transaction);
        return lsn;
    }

    /// <summary>
    /// The stream is being sealed by the record being applied (container lock): its open transactions are aborted by that
    /// record, as Pravega's seal aborts them.
    /// </summary>
    public void AbortTransactionsOf(long streamId)
    {
        foreach (var t in _transactions.Values.Where(t => t.StreamId == streamId && t.Phase == TransactionPhase.Open).ToList())
        {
            FreeStaging(t, CurrentLsn);
            t.Finish(TransactionPhase.Aborted, CurrentLsn, AbortReason.StreamSealed);
            Remember(t);
        }
    }

    /// <summary>The stream is being deleted (container lock): its transactions are forgotten.</summary>
    public void ForgetTransactionsOf(long streamId)
    {
        foreach (var t in _transactions.Values.Where(t => t.StreamId == streamId).ToList())
        {
            FreeStaging(t, CurrentLsn);
            _transactions.Remove(t.Id);
        }
    }

    /// <summary>Throws unless the transaction is open, saying why it is not.</summary>
    /// <exception cref="TransactionFailedException">It is not open.</exception>
    public static void RequireOpen(TransactionState transaction, string what)
    {
        if (transaction.Phase == TransactionPhase.Open) return;
        string state = transaction.Phase == TransactionPhase.Committed ? "committed" : transaction.AbortReason switch
        {
            AbortReason.TimedOut => $"aborted: it timed out (no write, flush or commit for {transaction.Timeout})",
            AbortReason.StreamSealed => "aborted: its stream was sealed",
            _ => "aborted",
        };
        throw new TransactionFailedException($"Cannot {what} transaction {transaction.Id}: it was {state}.");
    }

    /// <summary>
    /// A finished transaction is remembered; beyond <see cref="RememberedTransactions"/> the oldest are forgotten. A flush
    /// unit is forgotten at once: no one asks for its status.
    /// </summary>
    private void Remember(TransactionState transaction)
    {
        if (transaction.IsByteUnit)
        {
            _transactions.Remove(transaction.Id);
            return;
        }
        _finished.Enqueue(transaction.Id);
        while (_finished.Count > RememberedTransactions) _transactions.Remove(_finished.Dequeue());
    }

    // ---- replay ----

    private void ReplayTransaction(RecordType type, ref RecordReader r, long lsn, LogAddress address)
    {
        switch (type)
        {
            case RecordType.TransactionBegin:
            {
                long streamId = r.ReadInt64();
                var id = r.ReadGuid();
                var timeout = TimeSpan.FromTicks(r.ReadInt64());
                var writer = r.ReadBytes(r.ReadByte());
                byte flags = r.Remaining >= 1 ? r.ReadByte() : (byte)0; // begin records before byte streams end here
                if (_transactions.ContainsKey(id)) throw Corrupted(lsn, $"begins transaction {id} again");
                _transactions.Add(id, new TransactionState(id, streamId, writer.IsEmpty ? null : Encoding.ASCII.GetString(writer), timeout)
                {
                    IsByteUnit = (flags & TransactionFlagBytes) != 0,
                    Stageable = (flags & (TransactionFlagBytes | TransactionFlagNotStageable)) == 0,
                });
                break;
            }
            case RecordType.TransactionAppend or RecordType.TransactionBytes:
            {
                var (id, entry) = ReadTransactionAppend(type, ref r, address);
                var transaction = OpenTransaction(id, lsn);
                if (transaction.IsByteUnit != (type == RecordType.TransactionBytes)) throw Corrupted(lsn, $"writes the wrong kind of record to transaction {id}");
                transaction.Add(entry, 0);
                break;
            }
            case RecordType.TransactionCommit:
            {
                var id = r.ReadGuid();
                var transaction = OpenTransaction(id, lsn);
                var entries = transaction.AllEntries;
                var targets = ReadTargets(ref r, lsn, entries);
                int staged = r.Remaining >= 4 ? r.ReadInt32() : 0; // commit records before staging end here
                if (staged != transaction.StagedCount || transaction.Relogged.Count != staged)
                    throw Corrupted(lsn, $"commits transaction {id} with {staged} staged events, but it has {transaction.StagedCount} staged and {transaction.Relogged.Count} written again");
                Place(transaction, entries, targets, address, 0);
                transaction.Finish(TransactionPhase.Committed, 0);
                Remember(transaction);
                break;
            }
            case RecordType.TransactionAbort:
            {
                var transaction = OpenTransaction(r.ReadGuid(), lsn);
                transaction.Finish(TransactionPhase.Aborted, 0, (AbortReason)r.ReadByte());
                Remember(transaction);
                break;
            }
        }
    }

    private TransactionState OpenTransaction(Guid id, long lsn) =>
        _transactions.TryGetValue(id, out var t) && t.Phase == TransactionPhase.Open ? t : throw Corrupted(lsn, $"writes to transaction {id}, which is not open");

    /// <summary>An event record (7) or a flush unit's bytes (11) after its type byte, as the entry its commit will place.</summary>
    private static (Guid Id, TransactionEntry Entry) ReadTransactionAppend(RecordType type, ref RecordReader r, LogAddress address)
    {
        var id = r.ReadGuid();
        if (type == RecordType.TransactionBytes)
        {
            int bytes = r.ReadInt32();
            r.ReadBytes(bytes);
            return (id, new TransactionEntry(ByteUnitPoint, bytes, address with { Position = address.Position + UnitBytesHeaderSize }));
        }
        double point = r.ReadDouble();
        int length = r.ReadInt32();
        r.ReadBytes(length);
        return (id, new TransactionEntry(point, EventHeaderSize + length, address with { Position = address.Position + TransactionAppendHeaderSize }));
    }

    /// <summary>
    /// A commit record's targets (after its id), checked against the transaction's entries: replay applies a commit only
    /// as it was written, so each target must exist and hold in its range as many of the entries as the record says, and
    /// together the targets all of them.
    /// </summary>
    private List<TransactionTarget> ReadTargets(ref RecordReader r, long lsn, IReadOnlyList<TransactionEntry> entries)
    {
        long streamId = r.ReadInt64();
        int n = r.ReadInt32();
        var targets = new List<TransactionTarget>(n);
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            long segmentId = r.ReadInt64();
            var range = new KeyRange(r.ReadDouble(), r.ReadDouble());
            int count = r.ReadInt32();
            if (!_segments.TryGetValue((streamId, segmentId), out var segment))
                throw Corrupted(lsn, $"commits into segment {segmentId} of stream {streamId}, which does not exist");
            if (entries.Count(e => range.Contains(e.Point)) != count)
                throw Corrupted(lsn, $"commits {count} events into segment {segmentId} of stream {streamId}, but the transaction has another number there");
            targets.Add(new TransactionTarget(segment, range));
            total += count;
        }
        if (total != entries.Count) throw Corrupted(lsn, $"commits {total} events of a transaction that has {entries.Count}");
        return targets;
    }

    /// <summary>
    /// A transaction record that a checkpoint covers (LSN at or before it): events are collected, and a commit places the
    /// live ones of the segments being restored again (<see cref="PlaceCovered"/>); the transactions themselves come from
    /// the checkpoint.
    /// </summary>
    private void ReplayCoveredTransaction(RecordType type, ref RecordReader r, LogAddress address)
    {
        switch (type)
        {
            case RecordType.TransactionAppend or RecordType.TransactionBytes:
            {
                var (id, entry) = ReadTransactionAppend(type, ref r, address);
                if (!_coveredTransactions.TryGetValue(id, out var list)) _coveredTransactions.Add(id, list = []);
                list.Add(entry);
                break;
            }
            case RecordType.TransactionCommit:
            {
                var id = r.ReadGuid();
                _coveredTransactions.Remove(id, out var written);
                _coveredRelogs.Remove(id, out var relogged);
                long streamId = r.ReadInt64();
                int n = r.ReadInt32();
                var targets = new List<(long Segment, KeyRange Range, int Count)>(n);
                for (int i = 0; i < n; i++) targets.Add((r.ReadInt64(), new KeyRange(r.ReadDouble(), r.ReadDouble()), r.ReadInt32()));
                int staged = r.Remaining >= 4 ? r.ReadInt32() : 0; // commit records before staging end here
                // The events in order: the staged ones written again, then the last of those written to the WAL at first
                // (its first ones may be staged events still there, or gone with their files).
                int inWal = targets.Sum(t => t.Count) - staged;
                written ??= [];
                var entries = (relogged ?? []).Concat(written.Skip(Math.Max(0, written.Count - inWal))).ToList();
                foreach (var (segmentId, range, count) in targets)
                {
                    if (!_restoring.TryGetValue((streamId, segmentId), out var restoring) || !restoring.Reach(address)) continue;
                    var placed = entries.Where(e => range.Contains(e.Point)).ToList();
                    if (placed.Count != count)
                        throw new StorageCorruptedException(
                            $"Segment {segmentId} of stream {streamId} has live bytes from transaction {id}, but the WAL holds {placed.Count} of its {count} events there: log files the store still needed are gone. Nothing was changed.");
                    long start = restoring.Offset;
                    long firstFile = long.MaxValue;
                    foreach (var e in placed)
                    {
                        PlaceCovered(restoring, address, e.Length, e.Address);
                        firstFile = Math.Min(firstFile, e.Address.FileSequence);
                    }
                    if (restoring.Offset > start) restoring.Segment.AddMerge(new MergedRange(start, restoring.Offset, address, firstFile));
                }
                break;
            }
            case RecordType.TransactionAbort:
            {
                var id = r.ReadGuid();
                _coveredTransactions.Remove(id);
                _coveredRelogs.Remove(id);
                break;
            }
        }
    }

    /// <summary>
    /// Gives the transactions the checkpoint restored as open their events back, collected from the records it covers
    /// (when replay passes it). Each must get exactly the number the checkpoint counted.
    /// </summary>
    private void FinishTransactionRestore()
    {
        foreach (var t in _transactions.Values.Where(t => t.Phase == TransactionPhase.Open))
        {
            // Its staged events come first; those of them still in the WAL (their files not dropped yet) are not its entries.
            var entries = _coveredTransactions.GetValueOrDefault(t.Id) ?? [];
            var relogged = _coveredRelogs.GetValueOrDefault(t.Id) ?? [];
            int inWal = t.EventCount - t.StagedCount;
            int expectedRelogged = _checkpointRelogged.GetValueOrDefault(t.Id);
            if (entries.Count < inWal || (t.StagedCount == 0 && entries.Count != inWal) || relogged.Count != expectedRelogged)
                throw new StorageCorruptedException(
                    $"Open transaction {t.Id} has {inWal} events in the WAL and {expectedRelogged} written again by the checkpoint at LSN {_checkpointLsn}, but the WAL holds {entries.Count} and {relogged.Count}: log files the store still needed are gone. Nothing was changed.");
            t.RestoreEntries(entries.GetRange(entries.Count - inWal, inWal), relogged);
        }
        _coveredTransactions.Clear();
        _coveredRelogs.Clear();
        _checkpointRelogged.Clear();
    }

    // ---- checkpoints ----

    /// <summary>The checkpoint's transaction records (container lock): the open ones, then the remembered finished ones oldest first.</summary>
    private void CaptureTransactions(List<byte[]> records)
    {
        foreach (var t in _transactions.Values.Where(t => t.Phase == TransactionPhase.Open)) records.Add(EncodeTransaction(t));
        foreach (var id in _finished)
            if (_transactions.TryGetValue(id, out var t)) records.Add(EncodeTransaction(t));
    }

    private static byte[] EncodeTransaction(TransactionState t)
    {
        int idLength = t.WriterId?.Length ?? 0;
        var record = new byte[1 + 8 + 16 + 1 + 1 + 8 + 4 + 1 + idLength + 1 + 1 + StagingTailSize(t)];
        var w = new RecordWriter(record);
        w.WriteByte((byte)RecordType.TransactionState);
        w.WriteInt64(t.StreamId);
        w.WriteGuid(t.Id);
        w.WriteByte((byte)t.Phase);
        w.WriteByte((byte)t.AbortReason);
        w.WriteInt64(t.Timeout.Ticks);
        w.WriteInt32(t.EventCount);
        w.WriteByte((byte)idLength);
        if (t.WriterId is not null) w.Advance(Encoding.ASCII.GetBytes(t.WriterId, record.AsSpan(w.Written)));
        w.WriteByte(t.IsByteUnit ? TransactionFlagBytes : (byte)0);
        w.WriteByte(t.Stageable ? (byte)1 : (byte)0);
        WriteStagingTail(ref w, t);
        return record;
    }

    private void RestoreTransaction(ref RecordReader r)
    {
        long streamId = r.ReadInt64();
        var id = r.ReadGuid();
        var phase = (TransactionPhase)r.ReadByte();
        var reason = (AbortReason)r.ReadByte();
        var timeout = TimeSpan.FromTicks(r.ReadInt64());
        int count = r.ReadInt32();
        var writer = r.ReadBytes(r.ReadByte());
        byte flags = r.Remaining >= 1 ? r.ReadByte() : (byte)0; // checkpoints before byte streams end here
        bool stageable = r.Remaining < 1 || r.ReadByte() != 0; // and before staging here
        var staged = ReadStagingTail(ref r, id);
        if (phase > TransactionPhase.Aborted || _transactions.ContainsKey(id) || !StagedInOrder(staged, count))
            throw new StorageCorruptedException($"The checkpoint at LSN {_checkpointLsn} describes transaction {id} inconsistently.");
        var t = new TransactionState(id, streamId, writer.IsEmpty ? null : Encoding.ASCII.GetString(writer), timeout)
        {
            IsByteUnit = (flags & TransactionFlagBytes) != 0,
            Stageable = stageable && (flags & TransactionFlagBytes) == 0,
        };
        t.RestoreCount(count, staged);
        _transactions.Add(id, t);
        if (phase == TransactionPhase.Open) return;
        t.Finish(phase, 0, reason);
        _finished.Enqueue(id);
    }

    private static StorageCorruptedException Corrupted(long lsn, string what) => new($"WAL record {lsn} {what}.");
}

/// <summary>A segment a commit routes events to, with the key range it held then.</summary>
internal readonly record struct TransactionTarget(Segment Segment, KeyRange Range);
