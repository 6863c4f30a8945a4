using System.Buffers;
using System.Runtime.CompilerServices;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A key-value table handle (docs/DESIGN.md, "Key-value tables"). Each change is checked against the table's index and
/// appended under the container lock, so conditions and appends are atomic, and completes once durable; a read waits
/// until the record it returns is durable, so it never shows a value a crash could take back. A put of several keys
/// across partitions is one transaction on the table's stream: one commit record makes all of them durable, or none.
/// </summary>
internal sealed class KeyValueTable<TKey, TValue> : IKeyValueTable<TKey, TValue>
{
    private readonly StoreRuntime _runtime;
    private readonly TableIndex _index;
    private readonly string _name;
    private readonly ISerializer<TKey> _keys;
    private readonly ISerializer<TValue> _values;
    private readonly ValueParser _parser;
    private bool _disposed;

    public KeyValueTable(StoreRuntime runtime, TableIndex index, string name, ISerializer<TKey> keys, ISerializer<TValue> values)
    {
        _runtime = runtime;
        _index = index;
        _name = name;
        _keys = keys;
        _values = values;
        _parser = new ValueParser(values);
    }

    private SegmentContainer Container => _runtime.Container;

    public async Task<TableEntry<TKey, TValue>?> GetAsync(TKey key, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        byte[] k = KeyBytes(key);
        var (found, value, version) = await GetCoreAsync(k, ct).ConfigureAwait(false);
        return found ? new TableEntry<TKey, TValue>(key, value!, version) : null;
    }

    public Task<KeyVersion> PutAsync(TKey key, TValue value, CancellationToken ct = default) => PutAsync(key, value, KeyVersion.Any, ct);

    public Task<KeyVersion> PutIfAbsentAsync(TKey key, TValue value, CancellationToken ct = default) => PutAsync(key, value, KeyVersion.NotExists, ct);

    public Task<KeyVersion> ReplaceAsync(TKey key, TValue value, KeyVersion expected, CancellationToken ct = default) => PutAsync(key, value, expected, ct);

    public async Task RemoveAsync(TKey key, KeyVersion? expected = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        byte[] k = KeyBytes(key);
        var record = TableRecord.Encode(TableRecord.Remove, k, []);
        var partition = _index.PartitionOf(k);
        await partition.WaitForRoomAsync(ct).ConfigureAwait(false);
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        long lsn;
        while (true)
        {
            var probe = await partition.ProbeAsync(k, ct).ConfigureAwait(false);
            lock (Container.Lock)
            {
                RequireLive();
                if (!partition.TryCurrent(k, probe, out var slot)) continue; // a merge replaced the run meanwhile: look again
                var current = VersionOf(slot);
                if (expected is { } e && e != KeyVersion.Any && e != current)
                    throw new ConditionalUpdateException($"Key-value table {_name}: the key's version is {Describe(current)}, not {Describe(e)}; nothing was removed.");
                if (slot is null) return; // removing an absent key unconditionally does nothing
                lsn = Append(partition, record, out _);
                partition.Remove(k);
                break;
            }
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KeyVersion>> UpdateAllAsync(IReadOnlyList<TableEntry<TKey, TValue>> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ThrowIfDisposed();
        var keys = new byte[entries.Count][];
        var records = new byte[entries.Count][];
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        for (int i = 0; i < entries.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(entries[i], nameof(entries));
            keys[i] = KeyBytes(entries[i].Key);
            if (!seen.Add(keys[i])) throw new ArgumentException($"Entries {i} and an earlier one have the same key.", nameof(entries));
            records[i] = Record(keys[i], entries[i].Value);
        }
        if (entries.Count == 0) return [];
        var partitions = new TablePartition[entries.Count];
        for (int i = 0; i < entries.Count; i++) partitions[i] = _index.PartitionOf(keys[i]);
        foreach (var partition in partitions.Distinct()) await partition.WaitForRoomAsync(ct).ConfigureAwait(false);
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        var versions = new KeyVersion[entries.Count];
        var probes = new TablePartition.Probe[entries.Count];
        long lsn;
        while (true)
        {
            // Only conditional entries need their key's current version; an unconditional one is simply written.
            for (int i = 0; i < entries.Count; i++)
                if (entries[i].Version != KeyVersion.Any) probes[i] = await partitions[i].ProbeAsync(keys[i], ct).ConfigureAwait(false);
            lock (Container.Lock)
            {
                RequireLive();
                bool stale = false;
                for (int i = 0; i < entries.Count; i++)
                {
                    var expected = entries[i].Version;
                    if (expected == KeyVersion.Any) continue;
                    if (!partitions[i].TryCurrent(keys[i], probes[i], out var slot)) { stale = true; break; }
                    var current = VersionOf(slot);
                    if (expected != current)
                        throw new ConditionalUpdateException($"Key-value table {_name}: entry {i}'s key has version {Describe(current)}, not {Describe(expected)}; nothing was changed.");
                }
                if (stale) continue; // a merge replaced a run meanwhile: look again
                // One transaction: its commit places each partition's records together, in this order, at the partition's end.
                var transaction = Container.BeginTransaction(_index.Stream.Id, _runtime.NewIds(), writerId: null, TimeSpan.FromSeconds(30), stageable: false);
                for (int i = 0; i < entries.Count; i++) Container.AppendToTransaction(transaction, KeySpace.Point(keys[i]), records[i]);
                var ends = new Dictionary<TablePartition, long>();
                var offsets = new long[entries.Count];
                for (int i = 0; i < entries.Count; i++)
                {
                    long at = ends.TryGetValue(partitions[i], out long end) ? end : partitions[i].Segment.Length;
                    offsets[i] = at;
                    versions[i] = new KeyVersion(at + 1);
                    ends[partitions[i]] = at + SegmentContainer.EventHeaderSize + records[i].Length;
                }
                var stream = _index.Stream;
                lsn = Container.CommitTransaction(transaction, point =>
                {
                    var segment = stream.Route(point);
                    return new TransactionTarget(segment.Data, segment.Range);
                });
                for (int i = 0; i < entries.Count; i++)
                    partitions[i].Set(keys[i], new TablePartition.Slot(offsets[i], versions[i].Value, SegmentContainer.EventHeaderSize + records[i].Length, lsn));
                break;
            }
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
        return versions;
    }

    public async IAsyncEnumerable<TableEntry<TKey, TValue>> EntriesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        ThrowIfDisposed();
        foreach (var partition in _index.Partitions)
        {
            TableRun? run;
            Dictionary<byte[], TablePartition.Slot> delta;
            lock (Container.Lock)
            {
                RequireLive();
                (run, delta) = partition.Snapshot();
            }
            try
            {
                if (run is not null)
                {
                    await foreach (var entry in run.EntriesAsync(ct).ConfigureAwait(false))
                    {
                        if (delta.ContainsKey(entry.Key)) continue;
                        if (await EntryAsync(entry.Key, new TablePartition.Slot(entry.Offset, entry.Version, entry.RecordLength, 0), ct).ConfigureAwait(false) is { } e)
                            yield return e;
                    }
                }
                foreach (var (key, slot) in delta)
                {
                    if (slot.IsRemoved) continue;
                    if (await EntryAsync(key, slot, ct).ConfigureAwait(false) is { } e) yield return e;
                }
            }
            finally
            {
                if (run is not null) await run.ReleaseAsync().ConfigureAwait(false);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>A put with a condition: <see cref="KeyVersion.Any"/> none, <see cref="KeyVersion.NotExists"/> absent, else that version.</summary>
    private async Task<KeyVersion> PutAsync(TKey key, TValue value, KeyVersion expected, CancellationToken ct)
    {
        ThrowIfDisposed();
        byte[] k = KeyBytes(key);
        var record = Record(k, value);
        var partition = _index.PartitionOf(k);
        await partition.WaitForRoomAsync(ct).ConfigureAwait(false);
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        long lsn;
        KeyVersion version;
        while (true)
        {
            // An unconditional put needs no current version: no lookup.
            var probe = expected == KeyVersion.Any ? default : await partition.ProbeAsync(k, ct).ConfigureAwait(false);
            lock (Container.Lock)
            {
                RequireLive();
                if (expected != KeyVersion.Any)
                {
                    if (!partition.TryCurrent(k, probe, out var slot)) continue; // a merge replaced the run meanwhile: look again
                    var current = VersionOf(slot);
                    if (expected != current)
                        throw new ConditionalUpdateException(expected == KeyVersion.NotExists
                            ? $"Key-value table {_name}: the key is present (version {current.Value}); nothing was written."
                            : $"Key-value table {_name}: the key's version is {Describe(current)}, not {Describe(expected)}; nothing was written.");
                }
                lsn = Append(partition, record, out long offset);
                version = new KeyVersion(offset + 1);
                partition.Set(k, new TablePartition.Slot(offset, version.Value, SegmentContainer.EventHeaderSize + record.Length, lsn));
                break;
            }
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
        return version;
    }

    /// <summary>The key's value and version, if present, read once its record is durable.</summary>
    private async Task<(bool Found, TValue? Value, KeyVersion Version)> GetCoreAsync(byte[] k, CancellationToken ct)
    {
        var partition = _index.PartitionOf(k);
        TablePartition.Slot? truncated = null;
        while (true)
        {
            var probe = await partition.ProbeAsync(k, ct).ConfigureAwait(false);
            TablePartition.Slot? slot;
            lock (Container.Lock)
            {
                RequireLive();
                if (!partition.TryCurrent(k, probe, out slot)) continue; // a merge replaced the run meanwhile: look again
            }
            if (slot is not { } s) return (false, default, KeyVersion.NotExists);
            if (s == truncated)
                throw new StorageCorruptedException($"Key-value table {_name}: the index names a truncated record (offset {s.Offset} of partition {partition.Segment.SegmentId}).");
            var (read, value) = await ReadValueAsync(partition.Segment, s, ct).ConfigureAwait(false);
            if (read) return (true, value, new KeyVersion(s.Version));
            // Compaction copied the record and truncated the original meanwhile: the index names the copy now (a copy
            // is in the index before the truncation is made, so the second look finds it).
            truncated = s;
        }
    }

    /// <summary>An entry found by a snapshot: its value if that record is still there, else the key's current entry.</summary>
    private async Task<TableEntry<TKey, TValue>?> EntryAsync(byte[] key, TablePartition.Slot slot, CancellationToken ct)
    {
        var (read, value) = await ReadValueAsync(_index.PartitionOf(key).Segment, slot, ct).ConfigureAwait(false);
        var version = new KeyVersion(slot.Version);
        if (!read)
        {
            bool found;
            (found, value, version) = await GetCoreAsync(key, ct).ConfigureAwait(false);
            if (!found) return null;
        }
        return new TableEntry<TKey, TValue>(_keys.Deserialize(new ReadOnlySequence<byte>(key)), value!, version);
    }

    private static KeyVersion VersionOf(TablePartition.Slot? slot) => slot is { } s ? new KeyVersion(s.Version) : KeyVersion.NotExists;

    /// <summary>Appends a record at the end of its partition (container lock); returns its LSN and the offset it starts at.</summary>
    private long Append(TablePartition partition, byte[] record, out long offset)
    {
        offset = partition.Segment.Length;
        return Container.AppendEvent(partition.Segment, writerId: null, SegmentContainer.NoEventNumber, record, out _); // RequireLive: not sealed
    }

    /// <summary>The value of a put record, once that record is durable (Tier-2 read if tiered); false if compaction truncated it.</summary>
    private async Task<(bool Read, TValue? Value)> ReadValueAsync(Segment segment, TablePartition.Slot slot, CancellationToken ct)
    {
        if (slot.Lsn > 0) await Container.Log.WhenDurableAsync(slot.Lsn, ct).ConfigureAwait(false);
        var (read, _) = await _runtime.Reader.ReadEventAsync(segment, slot.Offset, _parser, hint: null, ct).ConfigureAwait(false);
        if (read.Status == SegmentReadStatus.Event) return (true, read.Event);
        if (segment.IsDeleted) throw new InvalidOperationException($"Key-value table {_name} was deleted.");
        if (read.Status == SegmentReadStatus.Truncated) return (false, default);
        throw new StorageCorruptedException($"Key-value table {_name}: no record at offset {slot.Offset} of partition {segment.SegmentId} ({read.Status}).");
    }

    private byte[] KeyBytes(TKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var buffer = new ArrayBufferWriter<byte>();
        _keys.Serialize(key, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private byte[] Record(byte[] key, TValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        _values.Serialize(value, buffer);
        int max = Math.Min(EventStreamWriter<TValue>.MaxEventSize, Container.MaxEventSizeEitherWay);
        if (TableRecord.HeaderSize + key.Length + buffer.WrittenCount > max)
            throw new ArgumentException($"The key and value take {key.Length + buffer.WrittenCount} bytes; a key-value table entry holds at most {max - TableRecord.HeaderSize}.", nameof(value));
        return TableRecord.Encode(TableRecord.Put, key, buffer.WrittenSpan);
    }

    private void RequireLive()
    {
        _runtime.ThrowIfDisposed();
        if (_index.IsClosed || _index.Stream.IsDeleted || _index.Stream.IsSealed) throw new InvalidOperationException($"Key-value table {_name} was deleted.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static string Describe(KeyVersion version) => version == KeyVersion.NotExists ? "absent" : version.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A put record's value, deserialized inside the read.</summary>
    private sealed class ValueParser(ISerializer<TValue> values) : ISerializer<TValue>
    {
        public void Serialize(TValue value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public TValue Deserialize(ReadOnlySequence<byte> bytes) => values.Deserialize(TableRecord.ValueOf(bytes));
    }
}
