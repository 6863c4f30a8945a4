using System.Text;

namespace Pravega.Embedded;

/// <summary>
/// The compact binary layout behind the base64 tokens of <see cref="StreamCut"/>, <see cref="Position"/> and
/// <see cref="EventPointer"/>: a type tag byte and a format version byte, then big-endian fixed-size integers
/// and strings as a 16-bit byte count followed by UTF-8. Tokens are meant to be stored by users and read back
/// by later versions of the library, so the version byte must be bumped (and old versions still decoded) when
/// a layout changes.
/// </summary>
internal static class TokenCodec
{
    public const byte StreamCutTag = (byte)'C';
    public const byte PositionTag = (byte)'P';
    public const byte EventPointerTag = (byte)'E';
    public const byte Version1 = 1;

    /// <summary>Header bytes: tag and version.</summary>
    public const int HeaderSize = 2;

    /// <summary>Bytes taken by <paramref name="value"/> when written with <see cref="TokenWriter.WriteString"/>.</summary>
    public static int StringSize(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            ThrowHelper.ThrowArgument("A name in a token cannot exceed 65535 UTF-8 bytes.", nameof(value));
        }

        return sizeof(ushort) + count;
    }

    /// <summary>
    /// Decodes <paramref name="text"/> and checks its header; the returned reader is positioned after it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">Not base64, another token type, or an unknown version.</exception>
    public static TokenReader Open(string? text, byte tag, string kind, string paramName)
    {
        if (text is null)
        {
            ThrowHelper.ThrowArgumentNull(paramName);
        }

        // Base64 of n bytes takes 4 * ceil(n / 3) characters, so this is never too small for valid input.
        byte[] buffer = new byte[(text.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out int written))
        {
            ThrowHelper.ThrowInvalidToken(kind, paramName, "not base64");
        }

        var reader = new TokenReader(buffer.AsSpan(0, written), kind, paramName);
        if (reader.ReadByte() != tag)
        {
            ThrowHelper.ThrowInvalidToken(kind, paramName, "wrong token type");
        }

        byte version = reader.ReadByte();
        if (version != Version1)
        {
            ThrowHelper.ThrowInvalidToken(kind, paramName, $"unknown format version {version}");
        }

        return reader;
    }
}
