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
        ulong hash = XXH64.DigestOf(bytes[..count]);
        return (hash >> 12) * (1.0 / (1L << 52));
    }

    /// <summary><paramref name="count"/> equal ranges covering [0, 1); the last ends exactly at 1.</summary>
    public static KeyRange[] Split(int count)
    {
        var ranges = new KeyRange[count];
        for (int i = 0; i < count; i++)
            ranges[i] = new KeyRange((double)i / count, i == count - 1 ? 1.0 : (double)(i + 1) / count);
        return ranges;
    }
}
