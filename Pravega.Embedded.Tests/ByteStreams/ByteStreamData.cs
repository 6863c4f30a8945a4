namespace Pravega.Embedded.Tests.ByteStreams;

/// <summary>
/// Bytes that tell their own offset: the byte at offset i is a fixed function of i, so any prefix read back (after a
/// crash, from any position) is checked without keeping what was written.
/// </summary>
internal static class ByteStreamData
{
    public static byte At(long offset) => (byte)(((offset * 2654435761L) >> 11) ^ (offset >> 20));

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/> on.</summary>
    public static void Fill(Span<byte> destination, long offset)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = At(offset + i);
    }

    /// <summary>The first offset in <paramref name="read"/> (which starts at <paramref name="offset"/>) whose byte is wrong; -1 when all are right.</summary>
    public static long FirstWrong(ReadOnlySpan<byte> read, long offset)
    {
        for (int i = 0; i < read.Length; i++)
            if (read[i] != At(offset + i)) return offset + i;
        return -1;
    }
}
