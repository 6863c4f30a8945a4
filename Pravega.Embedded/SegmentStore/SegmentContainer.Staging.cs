using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Transaction staging (docs/DESIGN.md, "Transactions", staging): an open transaction whose oldest events keep a WAL file
/// past the tierer's pressure line has them moved into a Tier-2 chunk of its own by the tierer, then one record says so
/// (<see cref="RecordStaged"/>) and the WAL no longer keeps them. A commit first writes the staged events to the WAL
/// again (<see cref="AppendRelog"/>, read back from Tier-2 by <see cref="SegmentTierer.UnstageAsync"/>), so that the commit
/// record places WAL entries only, as for any transaction: a commit shows whole or not at all, in every segment at once.
/// </summary>
/// <remarks>
/// Records (docs/FORMAT.md, 12-13): staged <c>[u8 12][16 id][i32 first][i32 count][i32 length][16 unique][u32 crc]</c>;
/// relog <c>[u8 13][16 id][f64 point][segment bytes]</c>, the next staged event (in order) written again.
/// </remarks>
internal sealed partial class SegmentContainer
{
    /// <summary>A relog record's header, <c>[u8 13][16 id][f64 point]</c>: the layout of an event record's (7).</summary>
    private const int RelogHeaderSize = TransactionAppendHeaderSize;

    /// <summary>Relogged events of transactions met while replaying records a checkpoint covers (open or committed later).</summary>
    private readonly Dictionary<Guid, List<TransactionEntry>> _coveredRelogs = [];

    /// <summary>How many relogged events each open transaction had at the checkpoint (restore only).</summary>
    private readonly Dictionary<Guid, int> _checkpointRelogged = [];

    /// <summary>Open transactions whose events may be staged (container lock).</summary>
    public IEnumerable<TransactionState> StageableTransactions =>
        _transactions.Values.Where(t => t.Phase == TransactionPhase.Open && t.Stageable && !t.StagingFailed && t.Unstaging is null && t.Relogged.Count == 0);

    /// <summary>
    /// Records a stage pass (container lock): the transaction's first WAL events, from <paramref name="first"/> to
    /// <paramref name="last"/> (<paramref name="chunk"/>.Count of them), are durable in Tier-2 in the chunk it names. False,
    /// with nothing written, when the transaction changed meanwhile (finished, being committed, or other events first).
    /// </summary>
    public bool RecordStaged(TransactionState transaction, in StagedChunk chunk, LogAddress first, LogAddress last)
    {
        var entries = transaction.Entries;
        if (transaction.Phase != TransactionPhase.Open || transaction.Unstaging is not null || transaction.Relogged.Count > 0
            || transaction.StagedCount != chunk.First || chunk.Count <= 0 || entries.Count < chunk.Count
            || entries[0].Address != first || entries[chunk.Count - 1].Address != last)
            return false;
        var state = (transaction.Id, Chunk: chunk);
        Log.Append(1 + 16 + 4 + 4 + 4 + 16 + 4, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.TransactionStaged);
            w.WriteGuid(s.Id);
            w.WriteInt32(s.Chunk.First);
            w.WriteInt32(s.Chunk.Count);
            w.WriteInt32(s.Chunk.Length);
            w.WriteGuid(s.Chunk.Unique);
            w.WriteInt32(unchecked((int)s.Chunk.Crc));
        }, out _);
        transaction.Stage(chunk);
        return true;
    }

    /// <summary>
    /// Writes the next staged event of a transaction being committed to the WAL again (container lock): its routing point
    /// and segment bytes as the staging holds them. Returns the record's LSN.
    /// </summary>
    /// <exception cref="TransactionFailedException">The transaction is not open (aborted meanwhile).</exception>
    public long AppendRelog(TransactionState transaction, double point, ReadOnlySpan<byte> segmentBytes)
    {
        RequireOpen(transaction, "commit");
        if (transaction.Relogged.Count >= transaction.StagedCount)
            throw new InvalidOperationException($"Transaction {transaction.Id} has no staged event left to write again.");
        var state = new TransactionAppendState(transaction.Id, point, segmentBytes);
        long lsn = Log.Append(RelogHeaderSize + segmentBytes.Length, state, static (destination, s) =>
        {
            var w = new RecordWriter(destination);
            w.WriteByte((byte)RecordType.TransactionRelog);
            w.WriteGuid(s.Id);
            w.WriteDouble(s.Point);
            w.WriteBytes(s.Event);
        }, out var address);
        transaction.AddRelogged(new TransactionEntry(point, segmentBytes.Length, address with { Position = address.Position + RelogHeaderSize }), lsn);
        return lsn;
    }

    /// <summary>The transaction finishes by the record at <paramref name="lsn"/>: its staging goes once that is durable (replay: the tierer's sweep at start).</summary>
    private void FreeStaging(TransactionState transaction, long lsn)
    {
        if (transaction.StagedCount > 0 && lsn > 0) Tierer?.OnStagingFreed(transaction.Id, lsn);
    }

    /// <summary>Every staged chunk of the open transactions, by name, with its transaction (container lock): the tierer's sweep keeps them.</summary>
    public IEnumerable<(TransactionState Transaction, StagedChunk Chunk, string Name)> StagedChunks =>
        _transactions.Values.Where(t => t.Phase == TransactionPhase.Open)
            .SelectMany(t => t.Staged.Select(c => (t, c, ChunkNames.StagingChunk(t.Id, c.First, c.Unique))));

    // ---- replay ----

    private void ReplayStaging(RecordType type, ref RecordReader r, long lsn, LogAddress address)
    {
        var transaction = OpenTransaction(r.ReadGuid(), lsn);
        if (type == RecordType.TransactionStaged)
        {
            var chunk = new StagedChunk(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadGuid(), unchecked((uint)r.ReadInt32()));
            if (chunk.First != transaction.StagedCount || chunk.Count <= 0 || chunk.Count > transaction.Entries.Count || transaction.Relogged.Count > 0)
                throw Corrupted(lsn, $"stages events {chunk.First}-{chunk.First + chunk.Count - 1} of transaction {transaction.Id}, which it cannot have in the WAL");
            transaction.Stage(chunk);
            return;
        }
        if (transaction.Relogged.Count >= transaction.StagedCount)
            throw Corrupted(lsn, $"writes a staged event of transaction {transaction.Id} again, which has none left");
        transaction.AddRelogged(ReadRelog(ref r, address), 0);
    }

    /// <summary>A relog record the checkpoint covers: collected for its transaction (still open then, or committed later).</summary>
    private void ReplayCoveredRelog(ref RecordReader r, LogAddress address)
    {
        var id = r.ReadGuid();
        if (!_coveredRelogs.TryGetValue(id, out var list)) _coveredRelogs.Add(id, list = []);
        list.Add(ReadRelog(ref r, address));
    }

    /// <summary>A relog record (13) after its transaction id, as the entry its commit places: its segment bytes run to the record's end.</summary>
    private static TransactionEntry ReadRelog(ref RecordReader r, LogAddress address)
    {
        double point = r.ReadDouble();
        return new TransactionEntry(point, r.Remaining, address with { Position = address.Position + RelogHeaderSize });
    }

    /// <summary>Whether a checkpoint's staged chunks follow one another from event 0 and stay within the transaction's <paramref name="count"/> events.</summary>
    private static bool StagedInOrder(List<StagedChunk> staged, int count)
    {
        int next = 0;
        foreach (var c in staged)
        {
            if (c.First != next || c.Count <= 0) return false;
            next += c.Count;
        }
        return next <= count;
    }

    // ---- checkpoints: the tail of a transaction's state record ----

    /// <summary>Length of the staging tail of an open transaction's checkpoint record.</summary>
    private static int StagingTailSize(TransactionState t) => t.Phase == TransactionPhase.Open ? 4 + 4 + (t.Staged.Count * (4 + 4 + 4 + 16 + 4)) : 0;

    private static void WriteStagingTail(ref RecordWriter w, TransactionState t)
    {
        if (t.Phase != TransactionPhase.Open) return;
        w.WriteInt32(t.Relogged.Count);
        w.WriteInt32(t.Staged.Count);
        foreach (var c in t.Staged)
        {
            w.WriteInt32(c.First);
            w.WriteInt32(c.Count);
            w.WriteInt32(c.Length);
            w.WriteGuid(c.Unique);
            w.WriteInt32(unchecked((int)c.Crc));
        }
    }

    private List<StagedChunk> ReadStagingTail(ref RecordReader r, Guid id)
    {
        var staged = new List<StagedChunk>();
        if (r.Remaining < 8) return staged; // checkpoints before staging end here
        _checkpointRelogged[id] = r.ReadInt32();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++) staged.Add(new StagedChunk(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadGuid(), unchecked((uint)r.ReadInt32())));
        return staged;
    }
}
