using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using BenchmarkDotNet.Attributes;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// CRC32C (Castagnoli) as the WAL frames need it: System.IO.Hashing 11's <c>Crc32.HashToUInt32(Crc32ParameterSet.Crc32C,
/// span)</c> against a plain loop over <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 <c>crc32</c> on x64),
/// for a small event, a 1 KiB event and a large batch; plus the frame checksum over two pieces (length, then LSN and
/// payload) as the WAL computes it today, with a <see cref="Crc32"/> instance per frame, against the same loop resumed.
/// </summary>
public class Crc32CBenchmarks
{
    private byte[] _data = [];

    [Params(100, 1024, 64 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
        if (SystemIoHashing() != BitOperationsLoop())
            throw new InvalidOperationException("The two CRC32C implementations disagree.");
        if (FramePieces_NewCrc32PerFrame() != FramePieces_BitOperations())
            throw new InvalidOperationException("The two-piece CRC32C implementations disagree.");
    }

    [Benchmark(Baseline = true)]
    public uint SystemIoHashing() => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, _data);

    [Benchmark]
    public uint BitOperationsLoop() => ~BitOperationsCrc32C.Append(~0u, _data);

    /// <summary>What <c>Tier1.Crc32C.Compute(first, second)</c> does for every WAL frame: allocates a <see cref="Crc32"/>.</summary>
    [Benchmark]
    public uint FramePieces_NewCrc32PerFrame() => Tier1.Crc32C.Compute(_data.AsSpan(0, 4), _data.AsSpan(8));

    [Benchmark]
    public uint FramePieces_BitOperations() => ~BitOperationsCrc32C.Append(BitOperationsCrc32C.Append(~0u, _data.AsSpan(0, 4)), _data.AsSpan(8));
}

/// <summary>CRC32C by <see cref="BitOperations.Crc32C(uint, ulong)"/>, 8 bytes a step; no pre- or post-inversion (callers do it).</summary>
internal static class BitOperationsCrc32C
{
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }
}
