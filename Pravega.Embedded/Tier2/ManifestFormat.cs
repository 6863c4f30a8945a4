using System.Buffers.Binary;
using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tier2;

/// <summary>
/// The records of a segment's manifest chunk (docs/FORMAT.md, "Tier-2"): <c>[u32 magic "PMAN"][u32 body length]
/// [u32 CRC32C over store id + body][body]</c>, appended and synced one pass at a time. A body is
/// <c>[u8 kind = 1][i64 segment start][i64 length][u16 name length][UTF-8 chunk name]</c>: the segment's bytes from
/// <c>start</c> on are the chunk's bytes from 0 (superseding whatever the manifest said from <c>start</c> on).
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

    /// <summary>One extent record, framed.</summary>
    public static byte[] EncodeExtent(Guid storeId, string chunk, long start, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int nameBytes = Encoding.UTF8.GetByteCount(chunk);
        if (nameBytes > MaxNameBytes) throw new ArgumentException($"A chunk name holds at most {MaxNameBytes} UTF-8 bytes.", nameof(chunk));
        int bodyLength = 1 + 8 + 8 + 2 + nameBytes;
        var record = new byte[RecordHeaderSize + bodyLength];
        var body = record.AsSpan(RecordHeaderSize);
        body[0] = ExtentKind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], start);
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(body[17..], (ushort)nameBytes);
        Encoding.UTF8.GetBytes(chunk, body[19..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Checksum(storeId, body));
        return record;
    }

    /// <summary>Every valid extent record in <paramref name="bytes"/>, in order, skipping bytes that hold none.</summary>
    public static List<ChunkExtent> Parse(ReadOnlySpan<byte> bytes, Guid storeId)
    {
        var records = new List<ChunkExtent>();
        int position = 0;
        while (position + RecordHeaderSize <= bytes.Length)
        {
            if (TryRead(bytes[position..], storeId, out var extent, out int size))
            {
                records.Add(extent);
                position += size;
                continue;
            }
            int next = bytes[(position + 1)..].IndexOf("PMAN"u8);
            if (next < 0) break;
            position += 1 + next;
        }
        return records;
    }

    private static bool TryRead(ReadOnlySpan<byte> span, Guid storeId, out ChunkExtent extent, out int size)
    {
        extent = default;
        size = 0;
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic) return false;
        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        if (bodyLength < 19 || bodyLength > 19 + MaxNameBytes || RecordHeaderSize + bodyLength > span.Length) return false;
        var body = span.Slice(RecordHeaderSize, bodyLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Checksum(storeId, body)) return false;
        if (body[0] != ExtentKind) return false;
        long start = BinaryPrimitives.ReadInt64LittleEndian(body[1..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(body[9..]);
        int nameBytes = BinaryPrimitives.ReadUInt16LittleEndian(body[17..]);
        if (19 + nameBytes != bodyLength || start < 0 || length < 0) return false;
        extent = new ChunkExtent(Encoding.UTF8.GetString(body.Slice(19, nameBytes)), start, length);
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
