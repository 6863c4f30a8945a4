using System.IO.Hashing;

namespace Pravega.Embedded.Tier1;

/// <summary>CRC32C (Castagnoli) of WAL frames, from System.IO.Hashing (hardware-accelerated where available).</summary>
internal static class Crc32C
{
    [ThreadStatic]
    private static Crc32? t_incremental;

    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    /// <summary>CRC of two adjacent pieces, as if they were one buffer; reuses one hasher per thread (no allocation).</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var crc = t_incremental ??= new Crc32(Crc32ParameterSet.Crc32C);
        crc.Reset();
        crc.Append(first);
        crc.Append(second);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>CRC of three pieces, as if they were one buffer (no allocation).</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, ReadOnlySpan<byte> third)
    {
        var crc = t_incremental ??= new Crc32(Crc32ParameterSet.Crc32C);
        crc.Reset();
        crc.Append(first);
        crc.Append(second);
        crc.Append(third);
        return crc.GetCurrentHashAsUInt32();
    }
}
