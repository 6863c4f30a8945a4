using System.Text;
using K4os.Hash.xxHash;

namespace Pravega.Embedded.Controller;

/// <summary>Routing keys to points of the key space [0, 1), and the initial split of the key space.</summary>
internal static class KeySpace
{
    /// <summary>xxHash64 (seed 0) of the key's UTF-8 bytes, its top 52 bits taken as a fraction in [0, 1).</summary>
    public static double Point(string routingKey)
    {
        int max = Encoding.UTF8.GetMaxByteCount(routingKey.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        int count = Encoding.UTF8.GetBytes(routingKey, bytes);
        return Point(bytes[..count]);
    }

    /// <summary>The point of a key given as bytes (a key-value table's serialized key): xxHash64 mapped into [0, 1).</summary>
    public static double Point(ReadOnlySpan<byte> key)
    {
        ulong hash = XXH64.DigestOf(key);
        return (hash >> 12) * (1.0 / (1L << 52));
    }

    /// <summary><paramref name="count"/> equal ranges covering [0, 1); the last ends exactly at 1.</summary>
    public static KeyRange[] Split(int count) => Split(new KeyRange(0, 1), count);

    /// <summary>
    /// <paramref name="parts"/> equal ranges covering <paramref name="range"/> exactly: the first starts at its low end,
    /// the last ends at its high end, and each starts where the one before ends (the same double).
    /// </summary>
    public static KeyRange[] Split(KeyRange range, int parts)
    {
        var (low, high) = (range.Low, range.High);
        var ranges = new KeyRange[parts];
        for (int p = 0; p < parts; p++)
            ranges[p] = new KeyRange(p == 0 ? low : low + ((high - low) * p / parts), p == parts - 1 ? high : low + ((high - low) * (p + 1) / parts));
        return ranges;
    }
}
