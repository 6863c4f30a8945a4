using System.Buffers.Binary;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// Byte layout of WAL files (docs/FORMAT.md). A file is <c>FileHeaderSize</c> bytes of header, then frames
/// back to back; the unused rest of a file is zero. A frame is
/// <c>[i32 payloadLength][u32 crc32c][i64 lsn][i64 batchLsn][payload]</c>, little-endian, with the CRC over everything
/// but itself, so a frame is valid only if written whole, at the LSN recovery expects. <c>batchLsn</c> is the LSN of
/// the first frame of the group commit that wrote it: a valid frame past a hole with <c>batchLsn</c> at or before the
/// hole was written by the same unfinished (so unacknowledged) write, not after it.
/// </summary>
internal static class WalFormat
{
    public const ulong Magic = 0x314C_4157_4756_5250; // "PRVGWAL1" as little-endian bytes: identifies a WAL file
    public const int Version = 1;
    public const int FileHeaderSize = 64;
    public const int FrameHeaderSize = 24;
    public const string FilePrefix = "wal-";
    public const string FileSuffix = ".log";
    public const string TempSuffix = ".tmp";

    public static string FileName(long sequence) => $"{FilePrefix}{sequence:D10}{FileSuffix}";

    public static bool TryParseFileName(string fileName, out long sequence)
    {
        sequence = 0;
        return fileName.StartsWith(FilePrefix, StringComparison.Ordinal)
            && fileName.EndsWith(FileSuffix, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileSuffix.Length),
                             System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>File header: magic, version, sequence, file size, CRC of the preceding bytes; rest zero.</summary>
    public static void WriteFileHeader(Span<byte> header, long sequence, long fileSize)
    {
        header[..FileHeaderSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], fileSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[32..], Crc32C.Compute(header[..32]));
    }

    public static bool IsValidFileHeader(ReadOnlySpan<byte> header, long sequence, long fileSize) =>
        header.Length >= FileHeaderSize
        && BinaryPrimitives.ReadUInt64LittleEndian(header) == Magic
        && BinaryPrimitives.ReadInt32LittleEndian(header[8..]) == Version
        && BinaryPrimitives.ReadInt64LittleEndian(header[16..]) == sequence
        && BinaryPrimitives.ReadInt64LittleEndian(header[24..]) == fileSize
        && BinaryPrimitives.ReadUInt32LittleEndian(header[32..]) == Crc32C.Compute(header[..32]);

    /// <summary>Fills in the frame header of a frame whose payload is already in place after it.</summary>
    public static void SealFrame(Span<byte> frame, long lsn, long batchLsn)
    {
        int payloadLength = frame.Length - FrameHeaderSize;
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], lsn);
        BinaryPrimitives.WriteInt64LittleEndian(frame[16..], batchLsn);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], FrameCrc(frame));
    }

    /// <summary>
    /// Length of the valid frame at the start of <paramref name="data"/> whose LSN is <paramref name="expectedLsn"/>,
    /// or 0 where there is none (zeros, a torn or corrupt frame, another LSN).
    /// </summary>
    public static int ValidFrameLength(ReadOnlySpan<byte> data, long expectedLsn)
    {
        if (data.Length < FrameHeaderSize) return 0;
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (payloadLength <= 0 || payloadLength > data.Length - FrameHeaderSize) return 0;
        if (BinaryPrimitives.ReadInt64LittleEndian(data[8..]) != expectedLsn) return 0;
        var frame = data[..(FrameHeaderSize + payloadLength)];
        return BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) == FrameCrc(frame) ? frame.Length : 0;
    }

    /// <summary>The payload length a frame header claims (unverified), or 0.</summary>
    public static int ClaimedFrameLength(ReadOnlySpan<byte> data)
    {
        if (data.Length < FrameHeaderSize) return 0;
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        return payloadLength <= 0 || payloadLength > data.Length - FrameHeaderSize ? 0 : FrameHeaderSize + payloadLength;
    }

    public static long FrameLsn(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame[8..]);

    /// <summary>The LSN of the first frame written in the same group commit as this one.</summary>
    public static long FrameBatchLsn(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame[16..]);

    private static uint FrameCrc(ReadOnlySpan<byte> frame) => Crc32C.Compute(frame[..4], frame[8..]);
}
