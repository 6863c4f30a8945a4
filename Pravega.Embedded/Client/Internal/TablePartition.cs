using Microsoft.Extensions.Logging;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// The index of one key-value table partition (docs/DESIGN.md, "Key-value tables"): an on-disk run (<see cref="TableRun"/>)
/// holding every key as of an offset, and in memory only the changes after it (the delta). A delta grown past its budget
/// is merged with the run into a new run in the background; a partition whose records are mostly superseded is compacted
/// (its live records before the run's offset copied to its end with their versions, and its head truncated). Memory is
/// bounded by the delta budget and the run's block directory, open time by the bytes after the run's offset.
/// The delta, the run and the generation change under the container lock; a run is read off the lock
/// (<see cref="ProbeAsync"/>) and the result used under the lock only if no merge replaced the run meanwhile
/// (<see cref="TryCurrent"/>).
/// </summary>
internal sealed class TablePartition
{
    private const int EntryOverhead = 96;

    private readonly StoreRuntime _runtime;
    private readonly TableIndex _table;
    private readonly ILogger _logger;
    private readonly TableIndexOptions _options;
    private Dictionary<byte[], Slot> _active = new(ByteArrayComparer.Instance);
    private long _activeBytes;
    private Dictionary<byte[], Slot>? _merging;
    private TableRun? _run;
    private long _scanCovered;
    private int _generation;
    private bool _working;
    private bool _failed;
    private Task _work = Task.CompletedTask;

    private TablePartition(StoreRuntime runtime, TableIndex table, Segment segment)
    {
        _runtime = runtime;
        _table = table;
        _logger = runtime.TableLogger;
        _options = runtime.TableOptions;
        Segment = segment;
    }

    /// <summary>Where a key's latest record lies, its version and that record's size with its length prefix; <see cref="Removed"/> in a delta: absent.</summary>
    public readonly record struct Slot(long Offset, long Version, int RecordLength, long Lsn)
    {
        public static Slot Removed { get; } = new(-1, 0, 0, 0);

        public bool IsRemoved => Offset < 0;
    }

    /// <summary>A run lookup made off the lock: the run's generation and what it held for the key (or that the delta held it).</summary>
    public readonly record struct Probe(int Generation, TableRunEntry? Entry);

    public Segment Segment { get; }

    /// <summary>The offset the open read the partition's records from: its run's offset, or its start when it had none.</summary>
    public long OpenedFrom { get; private set; }

    private object Lock => _runtime.Container.Lock;

    /// <summary>The task of the merge or compaction running (for tests and disposal).</summary>
    public Task Work
    {
        get { lock (Lock) return _work; }
    }

    /// <summary>Opens the partition's index: its newest valid run, then the records after it (a full scan if there is none).</summary>
    public static async Task<TablePartition> OpenAsync(StoreRuntime runtime, TableIndex table, Segment segment, CancellationToken ct)
    {
        var partition = new TablePartition(runtime, table, segment);
        await partition.LoadAsync(ct).ConfigureAwait(false);
        return partition;
    }

    /// <summary>Looks the key up in the run off the lock, unless the delta holds it.</summary>
    public async ValueTask<Probe> ProbeAsync(byte[] key, CancellationToken ct)
    {
        TableRun? run;
        int generation;
        lock (Lock)
        {
            generation = _generation;
            if (InDelta(key, out _)) return new Probe(generation, null);
            run = AcquireRun();
            if (run is null) return new Probe(generation, null);
        }
        try
        {
            return new Probe(generation, await run.FindAsync(TableRun.Hash(key), key, ct).ConfigureAwait(false));
        }
        finally
        {
            await run.ReleaseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The key's current slot (container lock), null if absent; false if <paramref name="probe"/> is stale (a merge
    /// replaced the run it read): probe again.
    /// </summary>
    public bool TryCurrent(byte[] key, Probe probe, out Slot? current)
    {
        if (InDelta(key, out var slot))
        {
            current = slot.IsRemoved ? null : slot;
            return true;
        }
        current = null;
        if (probe.Generation != _generation) return false;
        if (probe.Entry is { } e) current = new Slot(e.Offset, e.Version, e.RecordLength, 0);
        return true;
    }

    /// <summary>The key's record now lies at <paramref name="slot"/> (container lock).</summary>
    public void Set(byte[] key, Slot slot)
    {
        Note(key, slot);
        MaybeStartWork();
    }

    /// <summary>Puts a key's slot in the active delta, counting its memory (container lock).</summary>
    private void Note(byte[] key, Slot slot)
    {
        if (!_active.ContainsKey(key)) _activeBytes += key.Length + EntryOverhead;
        _active[key] = slot;
    }

    /// <summary>The key was removed (container lock).</summary>
    public void Remove(byte[] key) => Set(key, Slot.Removed);

    /// <summary>
    /// Everything the index holds now (container lock): the run, held for the caller (release it), and a copy of the delta.
    /// </summary>
    public (TableRun? Run, Dictionary<byte[], Slot> Delta) Snapshot()
    {
        var delta = new Dictionary<byte[], Slot>(_merging ?? [], ByteArrayComparer.Instance);
        foreach (var (key, slot) in _active) delta[key] = slot;
        return (AcquireRun(), delta);
    }

    /// <summary>Waits while the delta is over twice its budget and a merge is shrinking it (bounded memory under a burst).</summary>
    public Task WaitForRoomAsync(CancellationToken ct)
    {
        lock (Lock)
        {
            if (_activeBytes < 2 * _options.DeltaBudgetBytes || !_working) return Task.CompletedTask;
            return _work.WaitAsync(ct);
        }
    }

    /// <summary>Starts a merge or compaction if one is due and none runs (container lock).</summary>
    private void MaybeStartWork()
    {
        if (_working || _failed || _runtime.IsDisposed || _table.IsClosed || (!MergeDue() && !CompactionDue())) return;
        _working = true;
        _work = Task.Run(WorkAsync);
    }

    private bool MergeDue() => _activeBytes >= _options.DeltaBudgetBytes || (_active.Count > 0 && Segment.Length - Covered >= _options.UncoveredBudgetBytes);

    private long Covered => _run?.Covered ?? _scanCovered;

    /// <summary>The offset the run covers (container lock; 0 without a run): compaction never goes past it.</summary>
    public long RunCovered => _run?.Covered ?? 0;

    private bool CompactionDue()
    {
        if (_run is not { } run) return false;
        long span = run.Covered - Segment.StartOffset;
        return span >= _options.CompactionMinBytes && run.LiveBytes * 2 < span;
    }

    /// <summary>The current run, held for the caller (container lock: the current run is never retired meanwhile), or null.</summary>
    private TableRun? AcquireRun()
    {
        if (_run is { } run && !run.Acquire()) throw new InvalidOperationException("The current table index run was deleted.");
        return _run;
    }

    private bool InDelta(byte[] key, out Slot slot) => _active.TryGetValue(key, out slot) || (_merging?.TryGetValue(key, out slot) ?? false);

    /// <summary>Merges and compacts until neither is due; a failure stops both for this open (the delta stays consulted).</summary>
    private async Task WorkAsync()
    {
        try
        {
            while (true)
            {
                (long Covered, long Lsn)? merge = null;
                lock (Lock)
                {
                    if (_runtime.IsDisposed || _table.IsClosed || _table.Stream.IsDeleted) { _working = false; return; }
                    if (MergeDue()) merge = SealForMerge();
                    else if (!CompactionDue())
                    {
                        _working = false;
                        return;
                    }
                }
                if (merge is { } sealedAt)
                {
                    await MergeDurableAsync(sealedAt.Covered, sealedAt.Lsn).ConfigureAwait(false);
                }
                else
                {
                    await TableCompactor.CompactAsync(_runtime, _table, this, _table.Closing).ConfigureAwait(false);
                    // The copies are in the delta: a merge next makes the live bytes exact again (or compaction would stop).
                    await ForceMergeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is ObjectDisposedException && _runtime.IsDisposed))
        {
            // Closed, disposed or deleted: the next open goes on from the files written so far.
            lock (Lock) _working = false;
        }
        catch (Exception e)
        {
            TableLog.IndexWorkFailed(_logger, _table.Stream.ToString(), Segment.SegmentId, e);
            lock (Lock)
            {
                _failed = true;
                _working = false;
            }
        }
    }

    /// <summary>A merge of whatever the delta holds (after a compaction pass).</summary>
    private async Task ForceMergeAsync()
    {
        (long Covered, long Lsn) sealedAt;
        lock (Lock)
        {
            if (_active.Count == 0) return;
            sealedAt = SealForMerge();
        }
        await MergeDurableAsync(sealedAt.Covered, sealedAt.Lsn).ConfigureAwait(false);
    }

    /// <summary>Seals the active delta for a merge covering the partition's records so far (container lock): that offset and the LSN that makes them durable.</summary>
    private (long Covered, long Lsn) SealForMerge()
    {
        var at = (Segment.Length, _runtime.Container.Log.LastAppendedLsn);
        Seal();
        return at;
    }

    /// <summary>Merges the sealed delta once every record before <paramref name="covered"/> is durable (the run may hold only what a crash cannot take back).</summary>
    private async Task MergeDurableAsync(long covered, long lsn)
    {
        await _runtime.Container.Log.WhenDurableAsync(lsn, _table.Closing).ConfigureAwait(false);
        await MergeAsync(covered, _table.Closing).ConfigureAwait(false);
    }

    /// <summary>The active delta becomes the one being merged (container lock).</summary>
    private void Seal()
    {
        _merging = _active;
        _active = new Dictionary<byte[], Slot>(ByteArrayComparer.Instance);
        _activeBytes = 0;
    }

    /// <summary>Writes the run plus the sealed delta as a new run covering <paramref name="covered"/>, and puts it in place.</summary>
    private async Task MergeAsync(long covered, CancellationToken ct)
    {
        Dictionary<byte[], Slot> merging;
        TableRun? old;
        lock (Lock)
        {
            merging = _merging!;
            old = AcquireRun();
        }
        TableRun run;
        string name = TableRun.NameFor(Segment.TierPrefix, covered, _runtime.NewIds());
        try
        {
            var sorted = merging.Select(p => (Hash: TableRun.Hash(p.Key), p.Key, p.Value)).ToList();
            sorted.Sort((a, b) => TableRun.Compare(a.Hash, a.Key, b.Hash, b.Key));
            run = await TableRun.WriteAsync(_runtime.TableFiles, name, _runtime.Container.Log.StoreId, Segment.SegmentId, covered,
                                            Merged(old, sorted, ct), ct).ConfigureAwait(false);
        }
        catch
        {
            await DeleteQuietlyAsync(name).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (old is not null) await old.ReleaseAsync().ConfigureAwait(false);
        }
        lock (Lock)
        {
            _run = run;
            _merging = null;
            _generation++;
        }
        if (old is not null) await old.RetireAsync().ConfigureAwait(false);
    }

    /// <summary>The old run's entries and the delta's, in the run's order: the delta's win, its removals drop keys.</summary>
    private static async IAsyncEnumerable<TableRunEntry> Merged(TableRun? old, List<(ulong Hash, byte[] Key, Slot Slot)> delta,
                                                                [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        int d = 0;
        if (old is not null)
        {
            await foreach (var entry in old.EntriesAsync(ct).ConfigureAwait(false))
            {
                while (d < delta.Count && TableRun.Compare(delta[d].Hash, delta[d].Key, entry.Hash, entry.Key) < 0)
                {
                    if (ToEntry(delta[d]) is { } e) yield return e;
                    d++;
                }
                if (d < delta.Count && TableRun.Compare(delta[d].Hash, delta[d].Key, entry.Hash, entry.Key) == 0)
                {
                    if (ToEntry(delta[d]) is { } e) yield return e;
                    d++;
                }
                else
                {
                    yield return entry;
                }
            }
        }
        for (; d < delta.Count; d++)
            if (ToEntry(delta[d]) is { } e) yield return e;
    }

    private static TableRunEntry? ToEntry((ulong Hash, byte[] Key, Slot Slot) d) =>
        d.Slot.IsRemoved ? null : new TableRunEntry(d.Hash, d.Key, d.Slot.Offset, d.Slot.Version, d.Slot.RecordLength);

    /// <summary>Finds the newest valid run, deletes the other index files of the partition, and reads the records after the run.</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        var storage = _runtime.TableFiles;
        var names = await TableRun.ListAsync(storage, Segment.TierPrefix, ct).ConfigureAwait(false);
        names.RemoveAll(name => TableRun.CoveredOf(name) < 0);
        names.Sort((a, b) => TableRun.CoveredOf(b).CompareTo(TableRun.CoveredOf(a)));
        long start = Segment.StartOffset, end = Segment.DurableLength;
        foreach (string name in names)
        {
            long covered = TableRun.CoveredOf(name);
            // A run from before the partition's start may miss removals whose records a compaction dropped: never used.
            if (covered < start || covered > end) continue;
            TableRun? run;
            try
            {
                run = await TableRun.TryOpenAsync(storage, name, _runtime.Container.Log.StoreId, Segment.SegmentId, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                run = null; // unreadable (or gone): derived data, rebuilt from the records instead
            }
            if (run is not null)
            {
                _run = run;
                break;
            }
            TableLog.IndexFileIgnored(_logger, name);
        }
        foreach (string name in names)
            if (name != _run?.Name) await DeleteQuietlyAsync(name).ConfigureAwait(false);

        long offset = _run?.Covered ?? start;
        _scanCovered = OpenedFrom = offset;
        var parser = TableRecord.Parser.Instance;
        TierBlock? block = null;
        while (offset < end)
        {
            ct.ThrowIfCancellationRequested();
            (var read, block) = await _runtime.Reader.ReadEventAsync(Segment, offset, parser, block, ct).ConfigureAwait(false);
            switch (read.Status)
            {
                case SegmentReadStatus.Event:
                    var record = read.Event;
                    int length = SegmentContainer.EventHeaderSize + record.Length;
                    lock (Lock) Note(record.Key, record.Kind == TableRecord.Remove ? Slot.Removed : new Slot(offset, record.Version ?? offset + 1, length, 0));
                    offset = read.NextOffset;
                    if (_activeBytes >= _options.DeltaBudgetBytes)
                    {
                        // A rebuild of a large partition merges as it goes: its memory stays within the budget too.
                        lock (Lock) Seal();
                        await MergeAsync(offset, ct).ConfigureAwait(false);
                    }
                    break;
                case SegmentReadStatus.Truncated:
                    offset = read.StartOffset;
                    break;
                default:
                    throw new StorageCorruptedException($"Key-value table stream {_table.Stream}: no record at offset {offset} of segment {Segment.SegmentId}.");
            }
        }
        lock (Lock) MaybeStartWork();
    }

    private async ValueTask DeleteQuietlyAsync(string name)
    {
        try
        {
            await _runtime.TableFiles.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The next open's sweep deletes it.
        }
    }
}
