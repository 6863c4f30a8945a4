using System.Buffers.Binary;
using System.Text;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Reads the fields of a WAL record payload. A record that ends early or is malformed is a format error, not
/// something to guess about: it throws <see cref="StorageCorruptedException"/>.
/// </summary>
internal ref struct RecordReader
{
    private ReadOnlySpan<byte> _rest;

    public RecordReader(ReadOnlySpan<byte> payload) => _rest = payload;

    public readonly int Remaining => _rest.Length;

    public readonly ReadOnlySpan<byte> Rest => _rest;

    public byte ReadByte()
    {
        Need(1);
        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public bool ReadBool() => ReadByte() != 0;

    public int ReadInt32()
    {
        Need(sizeof(int));
        int value = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        _rest = _rest[sizeof(int)..];
        return value;
    }

    public long ReadInt64()
    {
        Need(sizeof(long));
        long value = BinaryPrimitives.ReadInt64LittleEndian(_rest);
        _rest = _rest[sizeof(long)..];
        return value;
    }

    public Guid ReadGuid() => new(ReadBytes(16));

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    public string ReadString()
    {
        Need(sizeof(ushort));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        _rest = _rest[sizeof(ushort)..];
        Need(count);
        string value = Encoding.UTF8.GetString(_rest[..count]);
        _rest = _rest[count..];
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        var value = _rest[..count];
        _rest = _rest[count..];
        return value;
    }

    private readonly void Need(int count)
    {
        if (_rest.Length < count) throw new StorageCorruptedException("A WAL record ends before its fields do.");
    }
}
