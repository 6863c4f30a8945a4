using System.Buffers;
using System.Buffers.Binary;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A key-value table's index (docs/DESIGN.md, "Key-value tables"): for every present key, where its latest put record
/// lies in the table's partition segments. A key's version is that record's segment offset plus one, so it only increases
/// (a later record of the key lies further in its partition, also after a removal and across reopens). Changed under the
/// container lock, where conditions are checked and records appended together; built once per store open by reading the
/// partitions (shared by every handle of the table).
/// </summary>
internal sealed class TableIndex
{
    public const byte PutRecord = 1;
    public const byte RemoveRecord = 2;

    /// <summary><c>[u8 kind][i32 key length][key][value]</c>.</summary>
    public const int RecordHeaderSize = 1 + 4;

    private readonly Dictionary<byte[], Slot> _slots = new(ByteArrayComparer.Instance);

    private TableIndex(StreamState stream) => Stream = stream;

    /// <summary>The table's internal stream: one segment per partition.</summary>
    public StreamState Stream { get; }

    /// <summary>Keys present (container lock).</summary>
    public int Count => _slots.Count;

    /// <summary>Where a present key's latest put lies: its record's offset in its partition, and the LSN that made it durable (0: durable).</summary>
    public readonly record struct Slot(Segment Segment, long Offset, long Lsn)
    {
        public KeyVersion Version => new(Offset + 1);
    }

    /// <summary>The name of the internal stream behind the table <paramref name="table"/>.</summary>
    public static string StreamName(string table) => "_kvt-" + table;

    /// <summary>The table's name from its internal stream's name, or null if the stream is not a table's.</summary>
    public static string? TableName(string stream) => stream.StartsWith("_kvt-", StringComparison.Ordinal) ? stream["_kvt-".Length..] : null;

    /// <summary>The partition (active segment) of a key: its xxHash64 point in the key space.</summary>
    public Segment PartitionOf(ReadOnlySpan<byte> key) => Stream.Route(KeySpace.Point(key)).Data;

    /// <summary>The key's slot (container lock).</summary>
    public bool TryGet(byte[] key, out Slot slot) => _slots.TryGetValue(key, out slot);

    /// <summary>The key's current version (container lock): <see cref="KeyVersion.NotExists"/> when absent.</summary>
    public KeyVersion VersionOf(byte[] key) => _slots.TryGetValue(key, out var slot) ? slot.Version : KeyVersion.NotExists;

    public void Set(byte[] key, Slot slot) => _slots[key] = slot;

    public void Remove(byte[] key) => _slots.Remove(key);

    /// <summary>Every present key and its slot (container lock; a copy).</summary>
    public List<KeyValuePair<byte[], Slot>> Snapshot() => [.. _slots];

    /// <summary>A record: its kind, the key, and for a put the value.</summary>
    public static byte[] Record(byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var record = new byte[RecordHeaderSize + key.Length + value.Length];
        record[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(1), key.Length);
        key.CopyTo(record.AsSpan(RecordHeaderSize));
        value.CopyTo(record.AsSpan(RecordHeaderSize + key.Length));
        return record;
    }

    /// <summary>
    /// Builds the index of <paramref name="stream"/>'s table by reading every record of its partitions, once everything the
    /// log accepted is durable (no table write can run meanwhile: writes go through this index, which does not exist yet).
    /// </summary>
    public static async Task<TableIndex> BuildAsync(StoreRuntime runtime, StreamState stream, CancellationToken ct)
    {
        var container = runtime.Container;
        await container.Log.WhenDurableAsync(container.Log.LastAppendedLsn, ct).ConfigureAwait(false);
        var index = new TableIndex(stream);
        List<Segment> partitions;
        lock (container.Lock) partitions = [.. stream.ActiveSegments.Select(s => s.Data)];
        var parser = new RecordParser();
        foreach (var segment in partitions)
        {
            long offset = segment.StartOffset, end = segment.DurableLength;
            TierBlock? block = null;
            while (offset < end)
            {
                ct.ThrowIfCancellationRequested();
                (var read, block) = await runtime.Reader.ReadEventAsync(segment, offset, parser, block, ct).ConfigureAwait(false);
                switch (read.Status)
                {
                    case SegmentReadStatus.Event:
                        var (kind, key) = read.Event;
                        lock (container.Lock)
                        {
                            if (kind == PutRecord) index.Set(key, new Slot(segment, offset, 0));
                            else index.Remove(key);
                        }
                        offset = read.NextOffset;
                        break;
                    case SegmentReadStatus.Truncated:
                        offset = read.StartOffset;
                        break;
                    default:
                        throw new StorageCorruptedException($"Key-value table stream {stream} has no record at offset {offset} of segment {segment.SegmentId}.");
                }
            }
        }
        return index;
    }

    /// <summary>The value bytes of a put record (inside a read: valid only during the call).</summary>
    public static ReadOnlySequence<byte> ValueOf(ReadOnlySequence<byte> record)
    {
        Span<byte> header = stackalloc byte[RecordHeaderSize];
        record.Slice(0, RecordHeaderSize).CopyTo(header);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(header[1..]);
        return record.Slice(RecordHeaderSize + keyLength);
    }

    /// <summary>A record's kind and key, as the index needs them.</summary>
    private sealed class RecordParser : ISerializer<(byte Kind, byte[] Key)>
    {
        public void Serialize((byte Kind, byte[] Key) value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public (byte Kind, byte[] Key) Deserialize(ReadOnlySequence<byte> bytes)
        {
            if (bytes.Length < RecordHeaderSize) throw new StorageCorruptedException("A key-value table record is cut.");
            Span<byte> header = stackalloc byte[RecordHeaderSize];
            bytes.Slice(0, RecordHeaderSize).CopyTo(header);
            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(header[1..]);
            if (header[0] is not (PutRecord or RemoveRecord) || keyLength < 0 || RecordHeaderSize + (long)keyLength > bytes.Length)
                throw new StorageCorruptedException("A key-value table record is damaged.");
            return (header[0], bytes.Slice(RecordHeaderSize, keyLength).ToArray());
        }
    }

    /// <summary>Keys compare by their bytes.</summary>
    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
