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
        TableIndex.Slot slot;
        lock (Container.Lock)
        {
            RequireLive();
            if (!_index.TryGet(k, out slot)) return null;
        }
        return new TableEntry<TKey, TValue>(key, await ReadValueAsync(slot, ct).ConfigureAwait(false), slot.Version);
    }

    public Task<KeyVersion> PutAsync(TKey key, TValue value, CancellationToken ct = default) => PutAsync(key, value, KeyVersion.Any, ct);

    public Task<KeyVersion> PutIfAbsentAsync(TKey key, TValue value, CancellationToken ct = default) => PutAsync(key, value, KeyVersion.NotExists, ct);

    public Task<KeyVersion> ReplaceAsync(TKey key, TValue value, KeyVersion expected, CancellationToken ct = default) => PutAsync(key, value, expected, ct);

    public async Task RemoveAsync(TKey key, KeyVersion? expected = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        byte[] k = KeyBytes(key);
        var record = TableIndex.Record(TableIndex.RemoveRecord, k, []);
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        long lsn;
        lock (Container.Lock)
        {
            RequireLive();
            var current = _index.VersionOf(k);
            if (expected is { } e && e != KeyVersion.Any && e != current)
                throw new ConditionalUpdateException($"Key-value table {_name}: the key's version is {Describe(current)}, not {Describe(e)}; nothing was removed.");
            if (current == KeyVersion.NotExists) return; // removing an absent key unconditionally does nothing
            lsn = Append(_index.PartitionOf(k), record, out _);
            _index.Remove(k);
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KeyVersion>> UpdateAllAsync(IReadOnlyList<TableEntry<TKey, TValue>> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ThrowIfDisposed();
        var keys = new byte[entries.Count][];
        var records = new byte[entries.Count][];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(entries[i], nameof(entries));
            keys[i] = KeyBytes(entries[i].Key);
            if (!seen.Add(Convert.ToBase64String(keys[i]))) throw new ArgumentException($"Entries {i} and an earlier one have the same key.", nameof(entries));
            records[i] = Record(keys[i], entries[i].Value);
        }
        if (entries.Count == 0) return [];
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        var versions = new KeyVersion[entries.Count];
        long lsn;
        lock (Container.Lock)
        {
            RequireLive();
            for (int i = 0; i < entries.Count; i++)
            {
                var expected = entries[i].Version;
                var current = _index.VersionOf(keys[i]);
                if (expected != KeyVersion.Any && expected != current)
                    throw new ConditionalUpdateException($"Key-value table {_name}: entry {i}'s key has version {Describe(current)}, not {Describe(expected)}; nothing was changed.");
            }
            // One transaction: its commit places each partition's records together, in this order, at the partition's end.
            var transaction = Container.BeginTransaction(_index.Stream.Id, _runtime.NewIds(), writerId: null, TimeSpan.FromSeconds(30));
            var partitions = new Segment[entries.Count];
            for (int i = 0; i < entries.Count; i++)
            {
                Container.AppendToTransaction(transaction, KeySpace.Point(keys[i]), records[i]);
                partitions[i] = _index.PartitionOf(keys[i]);
            }
            var ends = new Dictionary<Segment, long>();
            for (int i = 0; i < entries.Count; i++)
            {
                long at = ends.TryGetValue(partitions[i], out long end) ? end : partitions[i].Length;
                versions[i] = new KeyVersion(at + 1);
                ends[partitions[i]] = at + SegmentContainer.EventHeaderSize + records[i].Length;
            }
            var stream = _index.Stream;
            lsn = Container.CommitTransaction(transaction, point =>
            {
                var segment = stream.Route(point);
                return new TransactionTarget(segment.Data, segment.Range);
            });
            for (int i = 0; i < entries.Count; i++) _index.Set(keys[i], new TableIndex.Slot(partitions[i], versions[i].Value - 1, lsn));
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
        return versions;
    }

    public async IAsyncEnumerable<TableEntry<TKey, TValue>> EntriesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        ThrowIfDisposed();
        List<KeyValuePair<byte[], TableIndex.Slot>> slots;
        lock (Container.Lock)
        {
            RequireLive();
            slots = _index.Snapshot();
        }
        foreach (var (key, slot) in slots)
        {
            ct.ThrowIfCancellationRequested();
            var value = await ReadValueAsync(slot, ct).ConfigureAwait(false);
            yield return new TableEntry<TKey, TValue>(_keys.Deserialize(new ReadOnlySequence<byte>(key)), value, slot.Version);
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
        await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
        long lsn;
        KeyVersion version;
        lock (Container.Lock)
        {
            RequireLive();
            var current = _index.VersionOf(k);
            if (expected != KeyVersion.Any && expected != current)
                throw new ConditionalUpdateException(expected == KeyVersion.NotExists
                    ? $"Key-value table {_name}: the key is present (version {current.Value}); nothing was written."
                    : $"Key-value table {_name}: the key's version is {Describe(current)}, not {Describe(expected)}; nothing was written.");
            var partition = _index.PartitionOf(k);
            lsn = Append(partition, record, out long offset);
            version = new KeyVersion(offset + 1);
            _index.Set(k, new TableIndex.Slot(partition, offset, lsn));
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
        return version;
    }

    /// <summary>Appends a record at the end of its partition (container lock); returns its LSN and the offset it starts at.</summary>
    private long Append(Segment partition, byte[] record, out long offset)
    {
        offset = partition.Length;
        return Container.AppendEvent(partition, writerId: null, SegmentContainer.NoEventNumber, record, out _); // RequireLive: not sealed
    }

    /// <summary>The value of a put record, once that record is durable (Tier-2 read if tiered).</summary>
    private async Task<TValue> ReadValueAsync(TableIndex.Slot slot, CancellationToken ct)
    {
        if (slot.Lsn > 0) await Container.Log.WhenDurableAsync(slot.Lsn, ct).ConfigureAwait(false);
        var (read, _) = await _runtime.Reader.ReadEventAsync(slot.Segment, slot.Offset, _parser, hint: null, ct).ConfigureAwait(false);
        if (read.Status == SegmentReadStatus.Event) return read.Event!;
        if (slot.Segment.IsDeleted) throw new InvalidOperationException($"Key-value table {_name} was deleted.");
        throw new StorageCorruptedException($"Key-value table {_name}: no record at offset {slot.Offset} of partition {slot.Segment.SegmentId} ({read.Status}).");
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
        if (TableIndex.RecordHeaderSize + key.Length + buffer.WrittenCount > max)
            throw new ArgumentException($"The key and value take {key.Length + buffer.WrittenCount} bytes; a key-value table entry holds at most {max - TableIndex.RecordHeaderSize}.", nameof(value));
        return TableIndex.Record(TableIndex.PutRecord, key, buffer.WrittenSpan);
    }

    private void RequireLive()
    {
        _runtime.ThrowIfDisposed();
        if (_index.Stream.IsDeleted || _index.Stream.IsSealed) throw new InvalidOperationException($"Key-value table {_name} was deleted.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static string Describe(KeyVersion version) => version == KeyVersion.NotExists ? "absent" : version.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A put record's value, deserialized inside the read.</summary>
    private sealed class ValueParser(ISerializer<TValue> values) : ISerializer<TValue>
    {
        public void Serialize(TValue value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public TValue Deserialize(ReadOnlySequence<byte> bytes) => values.Deserialize(TableIndex.ValueOf(bytes));
    }
}
