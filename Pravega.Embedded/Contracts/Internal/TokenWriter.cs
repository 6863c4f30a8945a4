using System.Buffers.Binary;
using System.Text;

namespace Pravega.Embedded;

/// <summary>Writes a token into a buffer sized beforehand; see <see cref="TokenCodec"/>.</summary>
internal ref struct TokenWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public TokenWriter(Span<byte> buffer, byte tag)
    {
        _buffer = buffer;
        _position = 0;
        WriteByte(tag);
        WriteByte(TokenCodec.Version1);
    }

    public readonly int Written => _position;

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer[_position..], value);
        _position += sizeof(int);
    }

    /// <summary>Overwrites the 32-bit integer written earlier at <paramref name="position"/>.</summary>
    public readonly void PatchInt32(int position, int value) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer[position..], value);

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer[_position..], value);
        _position += sizeof(long);
    }

    public void WriteString(string value)
    {
        int count = Encoding.UTF8.GetBytes(value, _buffer[(_position + sizeof(ushort))..]);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], checked((ushort)count));
        _position += sizeof(ushort) + count;
    }

    /// <summary>The base64 text of everything written.</summary>
    public readonly string ToBase64() => Convert.ToBase64String(_buffer[.._position]);
}
