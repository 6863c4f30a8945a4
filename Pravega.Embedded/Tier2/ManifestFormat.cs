using System.Buffers.Binary;
using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tier2;

/// <summary>
/// The records of a segment's manifest chunk (docs/FORMAT.md, "Tier-2"): <c>[u32 magic "PMAN"][u32 body length]
/// [u32 CRC32C over store id + body][body]</c>, appended and synced one pass at a time. A body is
/// <c>[u8 kind = 1][i64 segment start][i64 length][u16 name length][UTF-8 chunk name][i64 first block][i32 count]
/// [i64 boundary] x count</c>: the segment's bytes from <c>start</c> on are the chunk's bytes from 0 (superseding whatever
/// the manifest said from <c>start</c> on), and the first event boundary at or after the start of each
/// <see cref="TierBlocks"/> block from <c>first block</c> on that the pass tiered.
/// </summary>
/// <remarks>
/// A crash can leave a torn record, or a whole record never synced, at the end; later passes append after it. So
/// <see cref="Parse"/> resynchronizes: at a position that holds no valid record it looks for the next magic whose record
/// is valid. What counts is cut by the segment's committed tiered length (container metadata), written only after the
/// manifest was synced, so no record a crash can take back decides anything.
/// </remarks>
internal static class ManifestFormat
{
    public const uint Magic = 0x4E414D50; // "PMAN" little-endian
    public const int RecordHeaderSize = 12;
    private const byte ExtentKind = 1;
    private const int MaxNameBytes = 1024;
    private const int FixedBody = 1 + 8 + 8 + 2 + 8 + 4;

    /// <summary>One extent record, framed.</summary>
    /// <param name="storeId">The store's id (in the CRC).</param>
    /// <param name="chunk">The chunk's name.</param>
    /// <param name="start">The segment offset of the chunk's first byte.</param>
    /// <param name="length">How many of the chunk's bytes the record describes.</param>
    /// <param name="firstBlock">The block of <paramref name="boundaries"/>' first entry.</param>
    /// <param name="boundaries">The first event boundary at or after the start of each block from <paramref name="firstBlock"/> on.</param>
    public static byte[] EncodeExtent(Guid storeId, string chunk, long start, long length, long firstBlock = 0, ReadOnlySpan<long> boundaries = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(firstBlock);
        int nameBytes = Encoding.UTF8.GetByteCount(chunk);
        if (nameBytes > MaxNameBytes) throw new ArgumentException($"A chunk name holds at most {MaxNameBytes} UTF-8 bytes.", nameof(chunk));
        int bodyLength = FixedBody + nameBytes + (8 * boundaries.Length);
        var record = new byte[RecordHeaderSize + bodyLength];
        var body = record.AsSpan(RecordHeaderSize);
        body[0] = ExtentKind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], start);
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(body[17..], (ushort)nameBytes);
        Encoding.UTF8.GetBytes(chunk, body[19..]);
        var tail = body[(19 + nameBytes)..];
        BinaryPrimitives.WriteInt64LittleEndian(tail, firstBlock);
        BinaryPrimitives.WriteInt32LittleEndian(tail[8..], boundaries.Length);
        for (int i = 0; i < boundaries.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(tail[(12 + (8 * i))..], boundaries[i]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Checksum(storeId, body));
        return record;
    }

    /// <summary>Every valid extent record in <paramref name="bytes"/>, in order, skipping bytes that hold none.</summary>
    public static List<ManifestRecord> Parse(ReadOnlySpan<byte> bytes, Guid storeId)
    {
        var records = new List<ManifestRecord>();
        int position = 0;
        while (position + RecordHeaderSize <= bytes.Length)
        {
            if (TryRead(bytes[position..], storeId, out var record, out int size))
            {
                records.Add(record);
                position += size;
                continue;
            }
            int next = bytes[(position + 1)..].IndexOf("PMAN"u8);
            if (next < 0) break;
            position += 1 + next;
        }
        return records;
    }

    private static bool TryRead(ReadOnlySpan<byte> span, Guid storeId, out ManifestRecord record, out int size)
    {
        record = default;
        size = 0;
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic) return false;
        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        if (bodyLength < FixedBody || RecordHeaderSize + (long)bodyLength > span.Length) return false;
        var body = span.Slice(RecordHeaderSize, bodyLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Checksum(storeId, body)) return false;
        if (body[0] != ExtentKind) return false;
        long start = BinaryPrimitives.ReadInt64LittleEndian(body[1..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(body[9..]);
        int nameBytes = BinaryPrimitives.ReadUInt16LittleEndian(body[17..]);
        if (nameBytes > MaxNameBytes || FixedBody + nameBytes > bodyLength || start < 0 || length < 0) return false;
        var tail = body[(19 + nameBytes)..];
        long firstBlock = BinaryPrimitives.ReadInt64LittleEndian(tail);
        int count = BinaryPrimitives.ReadInt32LittleEndian(tail[8..]);
        if (firstBlock < 0 || count < 0 || FixedBody + nameBytes + (8L * count) != bodyLength) return false;
        var boundaries = new long[count];
        for (int i = 0; i < count; i++) boundaries[i] = BinaryPrimitives.ReadInt64LittleEndian(tail[(12 + (8 * i))..]);
        record = new ManifestRecord(new ChunkExtent(Encoding.UTF8.GetString(body.Slice(19, nameBytes)), start, length), firstBlock, boundaries);
        size = RecordHeaderSize + bodyLength;
        return true;
    }

    private static uint Checksum(Guid storeId, ReadOnlySpan<byte> body)
    {
        Span<byte> id = stackalloc byte[16];
        storeId.TryWriteBytes(id);
        return Crc32C.Compute(id, body);
    }
}

/// <summary>A parsed manifest record: an extent, and the event boundaries of the blocks its pass tiered.</summary>
/// <param name="Extent">The chunk and the segment bytes it holds from its first byte.</param>
/// <param name="FirstBlock">The block of <paramref name="Boundaries"/>' first entry.</param>
/// <param name="Boundaries">The first event boundary at or after the start of each block from <paramref name="FirstBlock"/> on.</param>
internal readonly record struct ManifestRecord(ChunkExtent Extent, long FirstBlock, long[] Boundaries);
