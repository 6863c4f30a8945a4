using System.Buffers.Binary;
using System.Text;

namespace Pravega.Embedded.SegmentStore;

/// <summary>Writes the fields of a WAL record payload, little-endian, into a span sized beforehand.</summary>
internal ref struct RecordWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public RecordWriter(Span<byte> buffer) => _buffer = buffer;

    public readonly int Written => _position;

    public static int SizeOf(string value) => sizeof(ushort) + Encoding.UTF8.GetByteCount(value);

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer[_position..], value);
        _position += sizeof(int);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer[_position..], value);
        _position += sizeof(long);
    }

    public void WriteGuid(Guid value)
    {
        value.TryWriteBytes(_buffer[_position..]);
        _position += 16;
    }

    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteString(string value)
    {
        int count = Encoding.UTF8.GetBytes(value, _buffer[(_position + sizeof(ushort))..]);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[_position..], checked((ushort)count));
        _position += sizeof(ushort) + count;
    }

    /// <summary>Counts <paramref name="count"/> bytes the caller wrote itself at <see cref="Written"/>.</summary>
    public void Advance(int count) => _position += count;

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
    }
}
