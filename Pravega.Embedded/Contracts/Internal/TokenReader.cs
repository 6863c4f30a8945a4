using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Pravega.Embedded;

/// <summary>
/// Reads a token with bounds checks: any malformed input becomes an <see cref="ArgumentException"/> naming the
/// parameter, never an <see cref="IndexOutOfRangeException"/>.
/// </summary>
internal ref struct TokenReader
{
    private readonly string _kind;
    private readonly string _paramName;
    private ReadOnlySpan<byte> _rest;

    public TokenReader(ReadOnlySpan<byte> bytes, string kind, string paramName)
    {
        _rest = bytes;
        _kind = kind;
        _paramName = paramName;
    }

    public readonly int Remaining => _rest.Length;

    public byte ReadByte()
    {
        Need(1);
        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public int ReadInt32()
    {
        Need(sizeof(int));
        int value = BinaryPrimitives.ReadInt32BigEndian(_rest);
        _rest = _rest[sizeof(int)..];
        return value;
    }

    public long ReadInt64()
    {
        Need(sizeof(long));
        long value = BinaryPrimitives.ReadInt64BigEndian(_rest);
        _rest = _rest[sizeof(long)..];
        return value;
    }

    /// <summary>Reads a count of items that each take at least <paramref name="minItemSize"/> bytes.</summary>
    public int ReadCount(int minItemSize)
    {
        int count = ReadInt32();
        if (count < 0 || (long)count * minItemSize > _rest.Length)
        {
            Fail($"item count {count} does not fit the token");
        }

        return count;
    }

    public string ReadString()
    {
        Need(sizeof(ushort));
        int count = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[sizeof(ushort)..];
        Need(count);
        ReadOnlySpan<byte> utf8 = _rest[..count];
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            Fail("invalid UTF-8 in a name");
        }

        _rest = _rest[count..];
        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>Fails unless every byte was consumed: trailing bytes mean a corrupted or foreign token.</summary>
    public readonly void EnsureEnd()
    {
        if (!_rest.IsEmpty)
        {
            Fail($"{_rest.Length} unexpected trailing bytes");
        }
    }

    /// <summary>Throws the <see cref="ArgumentException"/> of a malformed token.</summary>
    [DoesNotReturn]
    public readonly void Fail(string detail) => ThrowHelper.ThrowInvalidToken(_kind, _paramName, detail);

    private readonly void Need(int count)
    {
        if (_rest.Length < count)
        {
            Fail("token is truncated");
        }
    }
}
