using System.Buffers;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// One compaction pass over a key-value table partition (docs/DESIGN.md, "Key-value tables"): reads up to
/// <see cref="TableIndexOptions.CompactionWindowBytes"/> of records from the partition's head, no further than its run's
/// offset; copies each record that is still its key's latest to the partition's end, with its version (a copy record);
/// and, once the copies are durable, truncates the partition after the window. A crash anywhere leaves either the old
/// records (the truncation not durable) or the copies (it is): the key's latest record is always there.
/// </summary>
internal static class TableCompactor
{
    public static async Task CompactAsync(StoreRuntime runtime, TableIndex table, TablePartition partition, CancellationToken ct)
    {
        var container = runtime.Container;
        var segment = partition.Segment;
        long offset, limit;
        lock (container.Lock)
        {
            offset = segment.StartOffset;
            limit = Math.Min(partition.RunCovered, offset + runtime.TableOptions.CompactionWindowBytes);
        }
        long lastLsn = 0;
        TierBlock? block = null;
        while (offset < limit)
        {
            ct.ThrowIfCancellationRequested();
            (var read, block) = await runtime.Reader.ReadEventAsync(segment, offset, TableRecord.RawParser.Instance, block, ct).ConfigureAwait(false);
            if (read.Status != SegmentReadStatus.Event)
            {
                if (segment.IsDeleted) throw new OperationCanceledException("The table was deleted.");
                throw new StorageCorruptedException($"Key-value table stream {table.Stream}: no record at offset {offset} of segment {segment.SegmentId} ({read.Status}).");
            }
            var bytes = read.Event!;
            var record = TableRecord.Parse(new ReadOnlySequence<byte>(bytes));
            if (record.Kind != TableRecord.Remove)
                lastLsn = Math.Max(lastLsn, await CopyIfLatestAsync(runtime, table, partition, offset, bytes, record.Key, ct).ConfigureAwait(false));
            offset = read.NextOffset;
        }
        if (lastLsn > 0) await container.Log.WhenDurableAsync(lastLsn, ct).ConfigureAwait(false);
        var stream = table.Stream;
        var cut = new Dictionary<long, long>();
        lock (container.Lock)
        {
            foreach (var s in stream.ActiveSegments) cut[s.SegmentId] = s.Data == segment ? offset : s.Data.StartOffset;
        }
        try
        {
            await runtime.Controller.TruncateStreamAsync(stream.Scope, stream.Name, new StreamCut(stream.Scope, stream.Name, cut), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StreamSealedException or StreamNotFoundException or ScopeNotFoundException)
        {
            throw new OperationCanceledException("The table was deleted.", e);
        }
    }

    /// <summary>Appends a copy of the record at <paramref name="offset"/> if it is still its key's latest; returns the copy's LSN or 0.</summary>
    private static async Task<long> CopyIfLatestAsync(StoreRuntime runtime, TableIndex table, TablePartition partition, long offset, byte[] record, byte[] key, CancellationToken ct)
    {
        var container = runtime.Container;
        while (true)
        {
            var probe = await partition.ProbeAsync(key, ct).ConfigureAwait(false);
            await container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
            lock (container.Lock)
            {
                runtime.ThrowIfDisposed();
                if (table.Stream.IsDeleted || table.Stream.IsSealed) throw new OperationCanceledException("The table was deleted.");
                if (!partition.TryCurrent(key, probe, out var current)) continue; // a merge replaced the run meanwhile
                if (current is not { } latest || latest.Offset != offset) return 0;
                var copy = TableRecord.CopyOf(record, latest.Version);
                long at = partition.Segment.Length;
                long lsn = container.AppendEvent(partition.Segment, writerId: null, SegmentContainer.NoEventNumber, copy, out _);
                partition.Set(key, new TablePartition.Slot(at, latest.Version, SegmentContainer.EventHeaderSize + copy.Length, lsn));
                return lsn;
            }
        }
    }
}
