using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using K4os.Hash.xxHash;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A key-value table partition's index as of an offset, on disk (docs/FORMAT.md, "Table index file"): every key present
/// in the records before <see cref="Covered"/>, sorted by (xxHash64 of the key, key bytes), in blocks of about 4 KiB,
/// with the first hash of each block in memory. Immutable once written; replaced by a merge (<see cref="WriteAsync"/>)
/// and deleted once no lookup uses it (<see cref="Acquire"/>, <see cref="RetireAsync"/>). Derived data: a file that is missing,
/// damaged or another store's is ignored and the index rebuilt from the partition's records.
/// </summary>
internal sealed class TableRun
{
    public const string Suffix = ".kvi";
    private const string Prefix = "index-";
    private const ulong Magic = 0x3130584449564B50; // "PKVIDX01"
    private const int FormatVersion = 1;
    private const int HeaderSize = 64;
    private const int TrailerSize = 32;
    private const int DirectoryEntrySize = 8 + 8 + 4;
    private const int EntryHeaderSize = 8 + 8 + 8 + 4 + 4;

    /// <summary>A block is closed once the next entry would take it past this size (a single large key makes a larger one).</summary>
    public const int BlockSize = 4096;

    private readonly IChunkStorage _storage;
    private readonly ulong[] _firstHashes;
    private readonly long[] _blockOffsets;
    private readonly int[] _blockLengths;
    private readonly Lock _sync = new();
    private int _users;
    private bool _retired;

    private TableRun(IChunkStorage storage, string name, long covered, long count, long liveBytes, ulong[] firstHashes, long[] offsets, int[] lengths)
    {
        _storage = storage;
        Name = name;
        Covered = covered;
        Count = count;
        LiveBytes = liveBytes;
        _firstHashes = firstHashes;
        _blockOffsets = offsets;
        _blockLengths = lengths;
    }

    /// <summary>The file's name in the index storage.</summary>
    public string Name { get; }

    /// <summary>The partition offset up to which the run holds every record's effect.</summary>
    public long Covered { get; }

    /// <summary>Keys in the run.</summary>
    public long Count { get; }

    /// <summary>The bytes of the keys' latest records (each with its 4-byte length) before <see cref="Covered"/>.</summary>
    public long LiveBytes { get; }

    /// <summary>The hash a key is sorted by.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key) => XXH64.DigestOf(key);

    /// <summary>The order of the entries: by hash, then by key bytes.</summary>
    public static int Compare(ulong hash1, byte[] key1, ulong hash2, byte[] key2)
    {
        int c = hash1.CompareTo(hash2);
        return c != 0 ? c : key1.AsSpan().SequenceCompareTo(key2);
    }

    /// <summary>A new file's name under the partition's prefix: the offset it covers and a unique id (never reused).</summary>
    public static string NameFor(string segmentPrefix, long covered, Guid unique) =>
        string.Create(CultureInfo.InvariantCulture, $"{segmentPrefix}/{Prefix}{covered:D19}-{unique:N}{Suffix}");

    /// <summary>Whether <paramref name="name"/> names a table index file.</summary>
    public static bool IsIndexFile(string name) => name.EndsWith(Suffix, StringComparison.Ordinal) && name.AsSpan(name.LastIndexOf('/') + 1).StartsWith(Prefix);

    /// <summary>The names of the index files under <paramref name="prefix"/> ("" for all).</summary>
    public static async Task<List<string>> ListAsync(IChunkStorage storage, string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (string name in storage.ListAsync(prefix, ct).ConfigureAwait(false))
            if (IsIndexFile(name)) names.Add(name);
        return names;
    }

    /// <summary>The offset an index file's name says it covers, or -1 if the name is not one.</summary>
    public static long CoveredOf(string name)
    {
        int start = name.LastIndexOf('/') + 1 + Prefix.Length;
        return IsIndexFile(name) && name.Length >= start + 19
               && long.TryParse(name.AsSpan(start, 19), NumberStyles.None, CultureInfo.InvariantCulture, out long covered) ? covered : -1;
    }

    /// <summary>
    /// Opens the run in <paramref name="name"/>: its header, trailer and block directory are read and checked (magic,
    /// version, CRC, store and segment ids, covered offset); null if any does not hold (the caller rebuilds instead).
    /// Blocks are checked when read.
    /// </summary>
    public static async Task<TableRun?> TryOpenAsync(IChunkStorage storage, string name, Guid storeId, long segmentId, CancellationToken ct)
    {
        long? length = await storage.GetLengthAsync(name, ct).ConfigureAwait(false);
        if (length is not { } size || size < HeaderSize + TrailerSize) return null;
        var header = new byte[HeaderSize];
        var trailer = new byte[TrailerSize];
        if (await storage.ReadAsync(name, 0, header, ct).ConfigureAwait(false) != HeaderSize
            || await storage.ReadAsync(name, size - TrailerSize, trailer, ct).ConfigureAwait(false) != TrailerSize) return null;
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic) return null;
        if (BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)) != FormatVersion) return null;
        if (new Guid(header.AsSpan(16, 16)) != storeId || BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32)) != segmentId) return null;
        long covered = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
        long count = BinaryPrimitives.ReadInt64LittleEndian(trailer);
        long liveBytes = BinaryPrimitives.ReadInt64LittleEndian(trailer.AsSpan(8));
        long directoryAt = BinaryPrimitives.ReadInt64LittleEndian(trailer.AsSpan(16));
        int blocks = BinaryPrimitives.ReadInt32LittleEndian(trailer.AsSpan(24));
        if (blocks < 0 || directoryAt < HeaderSize || directoryAt + (long)blocks * DirectoryEntrySize != size - TrailerSize || covered != CoveredOf(name)) return null;
        var directory = new byte[blocks * DirectoryEntrySize];
        if (await storage.ReadAsync(name, directoryAt, directory, ct).ConfigureAwait(false) != directory.Length) return null;
        if (Crc32C.Compute(header, directory, trailer.AsSpan(0, TrailerSize - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(TrailerSize - 4))) return null;
        var hashes = new ulong[blocks];
        var offsets = new long[blocks];
        var lengths = new int[blocks];
        for (int i = 0; i < blocks; i++)
        {
            var d = directory.AsSpan(i * DirectoryEntrySize);
            hashes[i] = BinaryPrimitives.ReadUInt64LittleEndian(d);
            offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(d[8..]);
            lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(d[16..]);
            if (lengths[i] < 8 || offsets[i] < HeaderSize || offsets[i] + lengths[i] > directoryAt) return null;
        }
        return new TableRun(storage, name, covered, count, liveBytes, hashes, offsets, lengths);
    }

    /// <summary>
    /// Writes a run to the new file <paramref name="name"/> from <paramref name="entries"/> (in the run's order, no key
    /// twice), syncs and seals it, and opens it. The caller deletes the file if this fails.
    /// </summary>
    public static async Task<TableRun> WriteAsync(IChunkStorage storage, string name, Guid storeId, long segmentId, long covered,
                                                  IAsyncEnumerable<TableRunEntry> entries, CancellationToken ct)
    {
        await storage.CreateAsync(name, ct).ConfigureAwait(false);
        var output = new RunOutput(storage, name);
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), HeaderSize);
        storeId.TryWriteBytes(header.AsSpan(16));
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), segmentId);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), covered);
        await output.WriteAsync(header, ct).ConfigureAwait(false);

        var hashes = new List<ulong>();
        var offsets = new List<long>();
        var lengths = new List<int>();
        var block = new ArrayBufferWriter<byte>(BlockSize * 2);
        int inBlock = 0;
        long count = 0, liveBytes = 0;
        ulong firstHash = 0;
        async ValueTask CloseBlockAsync()
        {
            var bytes = block.WrittenMemory.ToArray();
            BinaryPrimitives.WriteInt32LittleEndian(bytes, inBlock);
            var withCrc = new byte[bytes.Length + 4];
            bytes.CopyTo(withCrc, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(withCrc.AsSpan(bytes.Length), Crc32C.Compute(bytes));
            hashes.Add(firstHash);
            offsets.Add(output.Position);
            lengths.Add(withCrc.Length);
            await output.WriteAsync(withCrc, ct).ConfigureAwait(false);
            block.ResetWrittenCount();
            inBlock = 0;
        }
        await foreach (var entry in entries.WithCancellation(ct).ConfigureAwait(false))
        {
            int size = EntryHeaderSize + entry.Key.Length;
            if (inBlock > 0 && block.WrittenCount + size + 4 > BlockSize) await CloseBlockAsync().ConfigureAwait(false);
            if (inBlock == 0)
            {
                block.GetSpan(4)[..4].Clear();
                block.Advance(4); // the count, written when the block closes
                firstHash = entry.Hash;
            }
            var span = block.GetSpan(size);
            BinaryPrimitives.WriteUInt64LittleEndian(span, entry.Hash);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], entry.Offset);
            BinaryPrimitives.WriteInt64LittleEndian(span[16..], entry.Version);
            BinaryPrimitives.WriteInt32LittleEndian(span[24..], entry.RecordLength);
            BinaryPrimitives.WriteInt32LittleEndian(span[28..], entry.Key.Length);
            entry.Key.CopyTo(span[EntryHeaderSize..]);
            block.Advance(size);
            inBlock++;
            count++;
            liveBytes += entry.RecordLength;
        }
        if (inBlock > 0) await CloseBlockAsync().ConfigureAwait(false);

        long directoryAt = output.Position;
        var directory = new byte[hashes.Count * DirectoryEntrySize];
        for (int i = 0; i < hashes.Count; i++)
        {
            var d = directory.AsSpan(i * DirectoryEntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(d, hashes[i]);
            BinaryPrimitives.WriteInt64LittleEndian(d[8..], offsets[i]);
            BinaryPrimitives.WriteInt32LittleEndian(d[16..], lengths[i]);
        }
        var trailer = new byte[TrailerSize];
        BinaryPrimitives.WriteInt64LittleEndian(trailer, count);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(8), liveBytes);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(16), directoryAt);
        BinaryPrimitives.WriteInt32LittleEndian(trailer.AsSpan(24), hashes.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(TrailerSize - 4), Crc32C.Compute(header, directory, trailer.AsSpan(0, TrailerSize - 4)));
        await output.WriteAsync(directory, ct).ConfigureAwait(false);
        await output.WriteAsync(trailer, ct).ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
        await storage.SyncAsync(name, ct).ConfigureAwait(false);
        await storage.SealAsync(name, ct).ConfigureAwait(false);
        return new TableRun(storage, name, covered, count, liveBytes, [.. hashes], [.. offsets], [.. lengths]);
    }

    /// <summary>The key's entry, or null if the run does not hold it (the caller holds the run: <see cref="Acquire"/>).</summary>
    /// <exception cref="StorageCorruptedException">A block the key would be in is damaged.</exception>
    public async ValueTask<TableRunEntry?> FindAsync(ulong hash, byte[] key, CancellationToken ct)
    {
        // The last block starting below the hash: entries of an equal hash may begin in it and go on in later blocks.
        int lo = 0, hi = _firstHashes.Length - 1, first = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_firstHashes[mid] < hash) { first = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        for (int b = first; b < _firstHashes.Length && _firstHashes[b] <= hash; b++)
        {
            var bytes = ArrayPool<byte>.Shared.Rent(_blockLengths[b]); // a lookup per get: no block-sized garbage each time
            try
            {
                var block = await ReadBlockAsync(b, bytes, ct).ConfigureAwait(false);
                int at = Search(block.Span, hash, key);
                if (at >= 0) return ParseAt(block.Span, at, out _);
                if (at == -2) return null;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        return null;
    }

    /// <summary>Where the key's entry starts in a block; -1 if every entry is before it (look on), -2 if one after it is there.</summary>
    private int Search(ReadOnlySpan<byte> block, ulong hash, byte[] key)
    {
        int count = BinaryPrimitives.ReadInt32LittleEndian(block), at = 4, end = block.Length - 4;
        for (int i = 0; i < count; i++)
        {
            if (at + EntryHeaderSize > end) throw Damaged();
            var span = block[at..];
            ulong h = BinaryPrimitives.ReadUInt64LittleEndian(span);
            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
            if (keyLength < 0 || at + EntryHeaderSize + (long)keyLength > end) throw Damaged();
            int c = h != hash ? h.CompareTo(hash) : span.Slice(EntryHeaderSize, keyLength).SequenceCompareTo(key);
            if (c == 0) return at;
            if (c > 0) return -2;
            at += EntryHeaderSize + keyLength;
        }
        return -1;
    }

    /// <summary>Every entry in the run's order (the caller holds the run).</summary>
    public async IAsyncEnumerable<TableRunEntry> EntriesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (_blockLengths.Length == 0) yield break;
        var buffer = new byte[_blockLengths.Max()]; // one for the whole scan: entries are copied out of it
        for (int b = 0; b < _firstHashes.Length; b++)
        {
            var bytes = await ReadBlockAsync(b, buffer, ct).ConfigureAwait(false);
            foreach (var entry in Parse(bytes.Span)) yield return entry;
        }
    }

    /// <summary>Holds the file for a lookup or a scan; false once it was retired and deleted (look again in the newer run).</summary>
    public bool Acquire()
    {
        lock (_sync)
        {
            if (_retired && _users == 0) return false;
            _users++;
            return true;
        }
    }

    /// <summary>Ends a hold; deletes the file if it was retired and this was the last user.</summary>
    public async ValueTask ReleaseAsync()
    {
        bool delete;
        lock (_sync) delete = --_users == 0 && _retired;
        if (delete) await DeleteAsync().ConfigureAwait(false);
    }

    /// <summary>A newer run replaced this one: its file is deleted now, or when its last user releases it.</summary>
    public async ValueTask RetireAsync()
    {
        bool delete;
        lock (_sync)
        {
            if (_retired) return;
            _retired = true;
            delete = _users == 0;
        }
        if (delete) await DeleteAsync().ConfigureAwait(false);
    }

    private async ValueTask DeleteAsync()
    {
        try
        {
            await _storage.DeleteAsync(Name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Left for the next open's sweep: an index file nobody names is deleted there.
        }
    }

    /// <summary>Reads block <paramref name="b"/> into <paramref name="buffer"/> (at least its length) and checks its CRC.</summary>
    private async ValueTask<Memory<byte>> ReadBlockAsync(int b, byte[] buffer, CancellationToken ct)
    {
        var bytes = buffer.AsMemory(0, _blockLengths[b]);
        int read = await _storage.ReadAsync(Name, _blockOffsets[b], bytes, ct).ConfigureAwait(false);
        if (read != bytes.Length || Crc32C.Compute(bytes.Span[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span[^4..]))
            throw new StorageCorruptedException($"Key-value table index file {Name}: block {b} is damaged.");
        return bytes;
    }

    private List<TableRunEntry> Parse(ReadOnlySpan<byte> block)
    {
        int count = BinaryPrimitives.ReadInt32LittleEndian(block), at = 4, end = block.Length - 4;
        var entries = new List<TableRunEntry>(Math.Max(0, Math.Min(count, end / EntryHeaderSize)));
        for (int i = 0; i < count; i++)
        {
            if (at + EntryHeaderSize > end) throw Damaged();
            var span = block[at..];
            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
            if (keyLength < 0 || at + EntryHeaderSize + (long)keyLength > end) throw Damaged();
            entries.Add(ParseAt(block, at, out int size));
            at += size;
        }
        return entries;
    }

    private static TableRunEntry ParseAt(ReadOnlySpan<byte> block, int at, out int size)
    {
        var span = block[at..];
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
        size = EntryHeaderSize + keyLength;
        return new TableRunEntry(BinaryPrimitives.ReadUInt64LittleEndian(span), span.Slice(EntryHeaderSize, keyLength).ToArray(),
                                 BinaryPrimitives.ReadInt64LittleEndian(span[8..]), BinaryPrimitives.ReadInt64LittleEndian(span[16..]),
                                 BinaryPrimitives.ReadInt32LittleEndian(span[24..]));
    }

    private StorageCorruptedException Damaged() => new($"Key-value table index file {Name}: a block's entries do not parse.");

    /// <summary>Appends to the new file in large writes, counting its length.</summary>
    private sealed class RunOutput(IChunkStorage storage, string name)
    {
        private const int FlushAt = 1 << 20;
        private readonly ArrayBufferWriter<byte> _buffer = new(FlushAt + BlockSize * 2);
        private long _flushed;

        public long Position => _flushed + _buffer.WrittenCount;

        public async ValueTask WriteAsync(byte[] bytes, CancellationToken ct)
        {
            _buffer.Write(bytes);
            if (_buffer.WrittenCount >= FlushAt) await FlushAsync(ct).ConfigureAwait(false);
        }

        public async ValueTask FlushAsync(CancellationToken ct)
        {
            if (_buffer.WrittenCount == 0) return;
            await storage.AppendAsync(name, _flushed, _buffer.WrittenMemory, ct).ConfigureAwait(false);
            _flushed += _buffer.WrittenCount;
            _buffer.ResetWrittenCount();
        }
    }
}

/// <summary>A key's entry in a table index: where its latest record lies, its version and that record's size (with its length prefix).</summary>
internal sealed record TableRunEntry(ulong Hash, byte[] Key, long Offset, long Version, int RecordLength);
