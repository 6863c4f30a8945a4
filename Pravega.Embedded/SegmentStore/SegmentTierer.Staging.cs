using System.Buffers;
using System.Buffers.Binary;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Transaction staging (docs/DESIGN.md, "Transactions", staging): an open transaction must not keep the WAL above its
/// bound, however long it stays open. Its events in WAL files older than the pressure line go, a pass at a time, into a
/// chunk of its own in Tier-2 (each <c>[f64 point][i32 length][segment bytes]</c>), synced before the record that says
/// so (<see cref="SegmentContainer.RecordStaged"/>). Its commit reads them back and writes them to the WAL again
/// (<see cref="UnstageAsync"/>) before the commit record; the chunks go once the transaction's end is durable.
/// </summary>
internal sealed partial class SegmentTierer
{
    /// <summary>Bytes before each staged event's segment bytes: its routing point and their length.</summary>
    internal const int StagedEventHeaderSize = 8 + 4;

    /// <summary>
    /// The staged events of <paramref name="transaction"/> are no longer needed once the record at <paramref name="lsn"/>
    /// (its commit or abort, or its stream's seal or deletion) is durable (container lock): its directory goes as a deleted
    /// segment's does.
    /// </summary>
    public void OnStagingFreed(Guid transaction, long lsn)
    {
        lock (_lock) _deleted.Add((ChunkNames.TransactionPrefix(transaction), lsn));
    }

    /// <summary>
    /// The staged chunks the open transactions refer to, checked against Tier-2's listing at start: each must be there
    /// (the WAL no longer holds their events).
    /// </summary>
    private static HashSet<string> CheckStagings(List<(TransactionState Transaction, StagedChunk Chunk, string Name)> staged, List<string> all)
    {
        var present = all.Where(ChunkNames.IsDataChunk).ToHashSet(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (transaction, chunk, name) in staged)
        {
            if (!present.Contains(name))
                throw new StorageCorruptedException(
                    $"Transaction {transaction.Id} has events {chunk.First}-{chunk.First + chunk.Count - 1} staged in Tier-2, but their chunk '{name}' is gone.",
                    directory: null, name, offset: null, lsn: null);
            referenced.Add(name);
        }
        return referenced;
    }

    /// <summary>
    /// The open transactions to stage this round, each with its WAL events to move: those in files before the pressure
    /// line, oldest first, up to a pass (at least one); the transactions holding the oldest files first.
    /// </summary>
    private List<(TransactionState Transaction, List<TransactionEntry> Entries)> DueStagings()
    {
        var due = new List<(TransactionState, List<TransactionEntry>)>();
        lock (_container.Lock)
        {
            long pressureBelow = _container.Log.WriteFileSequence - _options.KeepFiles;
            foreach (var transaction in _container.StageableTransactions.OrderBy(t => t.FirstFile))
            {
                if (transaction.FirstFile >= pressureBelow) continue;
                var entries = new List<TransactionEntry>();
                long bytes = 0;
                foreach (var e in transaction.Entries)
                {
                    if (e.Address.FileSequence >= pressureBelow || (bytes >= _options.MaxPassBytes && entries.Count > 0)) break;
                    entries.Add(e);
                    bytes += StagedEventHeaderSize + e.Length;
                }
                if (entries.Count > 0) due.Add((transaction, entries));
            }
        }
        return due;
    }

    /// <summary>
    /// Moves <paramref name="entries"/>, the first WAL events of <paramref name="transaction"/>, into a new chunk: written and
    /// synced, then recorded. Returns whether it did; a failure is logged and the transaction is not staged again in this open.
    /// </summary>
    private async Task<bool> StagePassAsync(TransactionState transaction, List<TransactionEntry> entries, CancellationToken ct)
    {
        int first;
        lock (_container.Lock)
        {
            if (transaction.Phase != TransactionPhase.Open) return false;
            first = transaction.StagedCount;
        }
        int length = entries.Sum(e => StagedEventHeaderSize + e.Length);
        var data = ArrayPool<byte>.Shared.Rent(length);
        var unique = _options.NewIds();
        string name = ChunkNames.StagingChunk(transaction.Id, first, unique);
        uint crc;
        try
        {
            try
            {
                int at = 0;
                foreach (var e in entries)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(at), e.Point);
                    BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at + 8), e.Length);
                    using var lease = _container.Log.Read(e.Address, e.Length);
                    lease.Memory.Span.CopyTo(data.AsSpan(at + StagedEventHeaderSize));
                    at += StagedEventHeaderSize + e.Length;
                }
            }
            catch (WalFileDroppedException)
            {
                return false; // finished meanwhile, and its files went
            }
            crc = Crc32C.Compute(data.AsSpan(0, length));
            await _storage.CreateAsync(name, ct).ConfigureAwait(false);
            await _storage.AppendAsync(name, 0, data.AsMemory(0, length), ct).ConfigureAwait(false);
            await _storage.SyncAsync(name, ct).ConfigureAwait(false);
            await _storage.SealAsync(name, ct).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the transaction's events stay in Tier-1; the chunk, never recorded, goes with the next open's sweep
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            TieringLog.StagingFailed(_logger, transaction.Id, e);
            lock (_container.Lock) transaction.StagingFailed = true;
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
        bool recorded;
        lock (_container.Lock)
            recorded = _container.RecordStaged(transaction, new StagedChunk(first, entries.Count, length, unique, crc), entries[0].Address, entries[^1].Address);
        if (!recorded)
        {
            await _storage.DeleteAsync(name, ct).ConfigureAwait(false); // no record refers to it
            return false;
        }
        TieringLog.TransactionStaged(_logger, transaction.Id, first, first + entries.Count - 1, length);
        return true;
    }

    /// <summary>
    /// Writes the staged events of <paramref name="transaction"/> to the WAL again, in order, before its commit (one relog
    /// record each, read back from Tier-2 and checked against the CRC its stage record holds); resumes after the ones a
    /// crashed commit wrote. Returns at once when none is left; two commits of one transaction share one run.
    /// <paramref name="progress"/> is called after each (the commit renews the lease: a long relog is activity).
    /// </summary>
    /// <exception cref="TransactionFailedException">The transaction was aborted meanwhile.</exception>
    /// <exception cref="StorageCorruptedException">A staged chunk is damaged or gone.</exception>
    public Task UnstageAsync(TransactionState transaction, Action<TransactionState> progress, CancellationToken ct)
    {
        Task run;
        lock (_container.Lock)
        {
            if (transaction.Phase != TransactionPhase.Open || transaction.Relogged.Count == transaction.StagedCount) return Task.CompletedTask;
            run = transaction.Unstaging ??= Task.Run(() => RelogAsync(transaction, progress), CancellationToken.None); // shared by the commits that wait: none cancels it
        }
        return run.WaitAsync(ct);
    }

    private async Task RelogAsync(TransactionState transaction, Action<TransactionState> progress)
    {
        try
        {
            await _ready.Task.ConfigureAwait(false);
            List<StagedChunk> chunks;
            int done;
            lock (_container.Lock)
            {
                chunks = [.. transaction.Staged];
                done = transaction.Relogged.Count;
            }
            foreach (var chunk in chunks)
            {
                if (chunk.First + chunk.Count <= done) continue;
                await RelogChunkAsync(transaction, chunk, done, progress).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_container.Lock) transaction.Unstaging = null; // a later commit looks again (and resumes)
        }
    }

    private async Task RelogChunkAsync(TransactionState transaction, StagedChunk chunk, int done, Action<TransactionState> progress)
    {
        string name = ChunkNames.StagingChunk(transaction.Id, chunk.First, chunk.Unique);
        var data = ArrayPool<byte>.Shared.Rent(chunk.Length);
        try
        {
            int read = 0;
            try
            {
                while (read < chunk.Length)
                {
                    int n = await _storage.ReadAsync(name, read, data.AsMemory(read, chunk.Length - read), CancellationToken.None).ConfigureAwait(false);
                    if (n == 0) break;
                    read += n;
                }
            }
            catch (ChunkNotFoundException)
            {
                read = -1;
            }
            if (read != chunk.Length || Crc32C.Compute(data.AsSpan(0, chunk.Length)) != chunk.Crc)
            {
                lock (_container.Lock) SegmentContainer.RequireOpen(transaction, "commit"); // aborted meanwhile, and its staging went: say so
                throw new StorageCorruptedException(
                    $"Transaction {transaction.Id}'s staged events {chunk.First}-{chunk.First + chunk.Count - 1} in Tier-2 chunk '{name}' are {(read < 0 ? "gone" : "damaged")}; the transaction cannot be committed.",
                    directory: null, name, offset: null, lsn: null);
            }
            int at = 0;
            for (int ordinal = chunk.First; ordinal < chunk.First + chunk.Count; ordinal++)
            {
                double point = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(at));
                int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at + 8));
                int start = at + StagedEventHeaderSize;
                at = start + length;
                if (length <= 0 || at > chunk.Length)
                    throw new StorageCorruptedException($"Transaction {transaction.Id}'s staged chunk '{name}' does not hold the events its record says.", directory: null, name, offset: null, lsn: null);
                if (ordinal < done) continue;
                ValueTask room;
                while (!(room = _container.Log.WaitForCapacityAsync(CancellationToken.None)).IsCompletedSuccessfully) await room.ConfigureAwait(false);
                lock (_container.Lock) _container.AppendRelog(transaction, point, data.AsSpan(start, length));
                progress(transaction);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }
}
