using System.Buffers;
using System.Buffers.Binary;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A key-value table record, an event of a partition (docs/FORMAT.md, "Key-value table records"):
/// <c>[u8 kind][i32 key length][key]</c>, then for a put the value, for a copy the version (<c>i64</c>) and the value,
/// for a removal nothing. A put's version is its offset plus one; a copy (written by compaction) keeps the version of
/// the record it copies.
/// </summary>
internal readonly record struct TableRecord(byte Kind, byte[] Key, long? Version, int Length)
{
    public const byte Put = 1;
    public const byte Remove = 2;
    public const byte Copy = 3;

    /// <summary><c>[u8 kind][i32 key length]</c>.</summary>
    public const int HeaderSize = 1 + 4;

    /// <summary>A put or removal record.</summary>
    public static byte[] Encode(byte kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var record = new byte[HeaderSize + key.Length + value.Length];
        record[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(1), key.Length);
        key.CopyTo(record.AsSpan(HeaderSize));
        value.CopyTo(record.AsSpan(HeaderSize + key.Length));
        return record;
    }

    /// <summary>The copy of put or copy record <paramref name="record"/> whose version is <paramref name="version"/>.</summary>
    public static byte[] CopyOf(ReadOnlySpan<byte> record, long version)
    {
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[1..]);
        int valueAt = HeaderSize + keyLength + (record[0] == Copy ? 8 : 0);
        var copy = new byte[HeaderSize + keyLength + 8 + (record.Length - valueAt)];
        copy[0] = Copy;
        record.Slice(1, 4 + keyLength).CopyTo(copy.AsSpan(1));
        BinaryPrimitives.WriteInt64LittleEndian(copy.AsSpan(HeaderSize + keyLength), version);
        record[valueAt..].CopyTo(copy.AsSpan(HeaderSize + keyLength + 8));
        return copy;
    }

    /// <summary>The value bytes of a put or copy record (inside a read: valid only during the call).</summary>
    public static ReadOnlySequence<byte> ValueOf(ReadOnlySequence<byte> record)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        record.Slice(0, HeaderSize).CopyTo(header);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(header[1..]);
        return record.Slice(HeaderSize + keyLength + (header[0] == Copy ? 8 : 0));
    }

    /// <summary>Parses and checks a record: kind, key, the version of a copy, and the record's length.</summary>
    /// <exception cref="StorageCorruptedException">The bytes are not a table record.</exception>
    public static TableRecord Parse(ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length < HeaderSize) throw new StorageCorruptedException("A key-value table record is cut.");
        Span<byte> header = stackalloc byte[HeaderSize + 8];
        bytes.Slice(0, HeaderSize).CopyTo(header);
        byte kind = header[0];
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(header[1..]);
        long minimum = HeaderSize + (long)keyLength + (kind == Copy ? 8 : 0);
        if (kind is not (Put or Remove or Copy) || keyLength < 0 || minimum > bytes.Length || (kind == Remove && minimum != bytes.Length))
            throw new StorageCorruptedException("A key-value table record is damaged.");
        long? version = null;
        if (kind == Copy)
        {
            bytes.Slice(HeaderSize + keyLength, 8).CopyTo(header[HeaderSize..]);
            version = BinaryPrimitives.ReadInt64LittleEndian(header[HeaderSize..]);
            if (version <= 0) throw new StorageCorruptedException("A key-value table record is damaged.");
        }
        return new TableRecord(kind, bytes.Slice(HeaderSize, keyLength).ToArray(), version, checked((int)bytes.Length));
    }

    /// <summary>Reads a record's kind, key and version, as the index needs them.</summary>
    public sealed class Parser : ISerializer<TableRecord>
    {
        public static Parser Instance { get; } = new();

        public void Serialize(TableRecord value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public TableRecord Deserialize(ReadOnlySequence<byte> bytes) => Parse(bytes);
    }

    /// <summary>Reads a whole record, as compaction copies it.</summary>
    public sealed class RawParser : ISerializer<byte[]>
    {
        public static RawParser Instance { get; } = new();

        public void Serialize(byte[] value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public byte[] Deserialize(ReadOnlySequence<byte> bytes)
        {
            Parse(bytes); // checked before anything is copied from it
            return bytes.ToArray();
        }
    }
}
