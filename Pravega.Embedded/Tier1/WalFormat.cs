using System.Buffers.Binary;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// Byte layout of WAL files, format version 2 (docs/FORMAT.md). A file is one <see cref="FileHeaderSize"/> block of
/// header, then frames back to back. A frame is
/// <c>[i32 payloadLength][u32 crc32c][i64 lsn][i64 batchLsn][u32 generation][u16 kind][u16 0][payload]</c>, little-endian.
/// The CRC covers the store id (not stored in the frame), the frame header but the CRC itself, and the payload: a
/// frame is valid only if written whole, by this store, and is taken only at the LSN recovery expects.
/// </summary>
/// <remarks>
/// <c>batchLsn</c> is the LSN of the first frame of the group commit that wrote the frame: a valid frame past a hole
/// whose <c>batchLsn</c> is at or before the hole was written by the same unfinished (so unacknowledged) commit.
/// <c>generation</c> grows with every open of the store, so frames written after a tail was cut never mix with
/// older frames of the same LSN that a returning stale mirror may still hold: the newest generation wins.
/// </remarks>
internal static class WalFormat
{
    public const ulong Magic = 0x314C_4157_4756_5250; // "PRVGWAL1" as little-endian bytes: identifies a WAL file (any version)
    public const int Version = 2;

    /// <summary>The header has a block of its own: no frame write (torn or not) ever touches it.</summary>
    public const int FileHeaderSize = 4096;

    public const int FrameHeaderSize = 32;
    public const string FilePrefix = "wal-";
    public const string FileSuffix = ".log";
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// The name a dropped file keeps while it waits to be recycled: a temporary name, so that recovery deletes it (it is
    /// never part of the log).
    /// </summary>
    public static string SpareName(long sequence) => FileName(sequence) + TempSuffix;

    private const int HeaderFieldsSize = 56;

    public static string FileName(long sequence) => $"{FilePrefix}{sequence:D10}{FileSuffix}";

    public static bool TryParseFileName(string fileName, out long sequence)
    {
        sequence = 0;
        return fileName.StartsWith(FilePrefix, StringComparison.Ordinal)
            && fileName.EndsWith(FileSuffix, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileSuffix.Length),
                             System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>File header: magic, version, flags, store id, sequence, file size, generation, CRC; rest of the block zero.</summary>
    public static void WriteFileHeader(Span<byte> header, in FileHeader fields)
    {
        header[..FileHeaderSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        fields.StoreId.TryWriteBytes(header[16..32]);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], fields.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], fields.FileSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[48..], fields.Generation);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderFieldsSize..], Crc32C.Compute(header[..HeaderFieldsSize]));
    }

    /// <summary>Reads a file header: <see cref="HeaderStatus.Valid"/> with its fields, or why not.</summary>
    public static HeaderStatus ReadFileHeader(ReadOnlySpan<byte> header, out FileHeader fields, out int version)
    {
        fields = default;
        version = 0;
        if (header.Length < HeaderFieldsSize + 4 || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic) return HeaderStatus.Damaged;
        version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version == 1 && BinaryPrimitives.ReadUInt32LittleEndian(header[32..]) == Crc32C.Compute(header[..32]))
            return HeaderStatus.OtherVersion; // the first format (64-byte header, no store id): refused, never rewritten
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderFieldsSize..]) != Crc32C.Compute(header[..HeaderFieldsSize]))
            return version > Version ? HeaderStatus.NewerOrDamaged : HeaderStatus.Damaged;
        if (version != Version) return HeaderStatus.OtherVersion;
        fields = new FileHeader(new Guid(header[16..32]), BinaryPrimitives.ReadInt64LittleEndian(header[32..]),
                                BinaryPrimitives.ReadInt64LittleEndian(header[40..]), BinaryPrimitives.ReadUInt32LittleEndian(header[48..]));
        return fields.FileSize < FileHeaderSize + FrameHeaderSize + 1 || fields.FileSize > int.MaxValue ? HeaderStatus.Damaged : HeaderStatus.Valid;
    }

    /// <summary>Fills in the frame header of a frame whose payload is already in place after it.</summary>
    public static void SealFrame(Span<byte> frame, Guid storeId, long lsn, long batchLsn, uint generation, FrameKind kind)
    {
        int payloadLength = frame.Length - FrameHeaderSize;
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], lsn);
        BinaryPrimitives.WriteInt64LittleEndian(frame[16..], batchLsn);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[24..], generation);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[28..], (ushort)kind);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[30..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], FrameCrc(frame, storeId));
    }

    /// <summary>
    /// Length of the whole valid frame of store <paramref name="storeId"/> at the start of <paramref name="data"/>, or 0
    /// where there is none (zeros, a torn or corrupt frame, another store's frame). The LSN is only checked to be positive.
    /// </summary>
    public static int ValidFrameLength(ReadOnlySpan<byte> data, Guid storeId)
    {
        int claimed = ClaimedFrameLength(data);
        if (claimed == 0) return 0;
        // Fields every frame of this format has before its CRC is worth computing: a known kind, zero reserved bytes,
        // a positive LSN. Random bytes (a recycled file's old payloads, a torn tail) almost never pass, so a scan for
        // the next valid frame costs a few comparisons per byte, not a CRC over the length the bytes happen to claim.
        if (BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) > (ushort)FrameKind.Generation || data[30] != 0 || data[31] != 0 || FrameLsn(data) <= 0) return 0;
        var frame = data[..claimed];
        return BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) == FrameCrc(frame, storeId) ? claimed : 0;
    }

    /// <summary>The length a frame header claims (unverified) if it fits in <paramref name="data"/>, or 0.</summary>
    public static int ClaimedFrameLength(ReadOnlySpan<byte> data)
    {
        if (data.Length < FrameHeaderSize) return 0;
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        return payloadLength <= 0 || payloadLength > data.Length - FrameHeaderSize ? 0 : FrameHeaderSize + payloadLength;
    }

    public static long FrameLsn(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame[8..]);

    /// <summary>The LSN of the first frame written in the same group commit as this one.</summary>
    public static long FrameBatchLsn(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64LittleEndian(frame[16..]);

    public static uint FrameGeneration(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32LittleEndian(frame[24..]);

    public static FrameKind FrameKindOf(ReadOnlySpan<byte> frame) => (FrameKind)BinaryPrimitives.ReadUInt16LittleEndian(frame[28..]);

    private static uint FrameCrc(ReadOnlySpan<byte> frame, Guid storeId)
    {
        Span<byte> id = stackalloc byte[16];
        storeId.TryWriteBytes(id);
        return Crc32C.Compute(id, frame[..4], frame[8..]);
    }
}

/// <summary>The fields of a WAL file header.</summary>
/// <param name="StoreId">Identifies the store: every file of every mirror of one store carries the same id.</param>
/// <param name="Sequence">The file's sequence number (matches its name).</param>
/// <param name="FileSize">The file's size: the log never writes past it, whatever the options say today.</param>
/// <param name="Generation">The store's generation when the file was created.</param>
internal readonly record struct FileHeader(Guid StoreId, long Sequence, long FileSize, uint Generation);

/// <summary>What <see cref="WalFormat.ReadFileHeader"/> found.</summary>
internal enum HeaderStatus
{
    Valid,

    /// <summary>Not a header this code can read: torn, corrupt, or not a WAL file.</summary>
    Damaged,

    /// <summary>A WAL header of another format version.</summary>
    OtherVersion,

    /// <summary>
    /// A header whose version field says newer but whose CRC fails under this format: a newer format (whose CRC may
    /// cover other bytes) or a damaged header of this one. Only another mirror's copy of the file can tell which.
    /// </summary>
    NewerOrDamaged,
}

/// <summary>What a frame holds.</summary>
internal enum FrameKind : ushort
{
    /// <summary>A record of the layers above (replayed to them).</summary>
    Record = 0,

    /// <summary>
    /// Written by the log itself when it opens: starts the new generation durably (empty payload byte), so that a
    /// returning stale mirror's frames of the LSNs that follow lose against it. Not replayed.
    /// </summary>
    Generation = 1,
}
