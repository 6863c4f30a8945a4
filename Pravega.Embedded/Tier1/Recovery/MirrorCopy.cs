namespace Pravega.Embedded.Tier1;

/// <summary>
/// One mirror's copy of one log file, read whole with pread (never through a mapping: a bad sector must be an error
/// of this copy, not a SIGBUS of the process). Blocks the device could not read are remembered: their bytes are
/// never taken as a frame and never counted as proof that nothing is there.
/// </summary>
internal sealed class MirrorCopy : IDisposable
{
    /// <summary>Read errors are confined to 512-byte sectors, the smallest unit a disk fails in.</summary>
    public const int BlockSize = 512;
    private const int ChunkSize = 1 << 20;
    private byte[]? _buffer;
    private readonly bool[]? _unreadable;

    private MirrorCopy(byte[] buffer, int length, bool[]? unreadable)
    {
        _buffer = buffer;
        Length = length;
        _unreadable = unreadable;
    }

    /// <summary>The copy's bytes, <see cref="Length"/> long (the file's size; bytes past its end on disk read as zero).</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public int Length { get; }

    /// <summary>Whether any block of the copy could not be read.</summary>
    public bool HasUnreadable => _unreadable is not null;

    /// <summary>Reads <paramref name="length"/> bytes of a file; IOException on a range is confined to its 512-byte sectors.</summary>
    public static MirrorCopy Read(IDeviceFile file, int length)
    {
        // Not pooled: a shared pool would keep a file's worth of memory per mirror alive after recovery (invariant 8).
        var buffer = GC.AllocateUninitializedArray<byte>(length);
        bool[]? unreadable = null;
        for (int at = 0; at < length; at += ChunkSize)
        {
            int size = Math.Min(ChunkSize, length - at);
            try
            {
                ReadFully(file, buffer.AsSpan(at, size), at);
            }
            catch (IOException)
            {
                for (int block = at; block < at + size; block += BlockSize)
                {
                    int blockSize = Math.Min(BlockSize, at + size - block);
                    try
                    {
                        ReadFully(file, buffer.AsSpan(block, blockSize), block);
                    }
                    catch (IOException)
                    {
                        buffer.AsSpan(block, blockSize).Clear();
                        unreadable ??= new bool[(length + BlockSize - 1) / BlockSize];
                        unreadable[block / BlockSize] = true;
                    }
                }
            }
        }
        return new MirrorCopy(buffer, length, unreadable);
    }

    private static void ReadFully(IDeviceFile file, Span<byte> destination, long offset)
    {
        int read = file.Read(destination, offset);
        destination[read..].Clear(); // past the end of a short file
    }

    /// <summary>Whether every byte of <c>[position, position + length)</c> was read.</summary>
    public bool IsReadable(int position, int length)
    {
        if (_unreadable is null) return true;
        for (int block = position / BlockSize; block <= (position + length - 1) / BlockSize; block++)
            if (_unreadable[block]) return false;
        return true;
    }

    /// <summary>Whether the block holding <paramref name="position"/> was read.</summary>
    public bool IsBlockReadable(int position) => _unreadable is null || !_unreadable[position / BlockSize];

    /// <summary>
    /// The first valid frame of store <paramref name="storeId"/> (any LSN) starting at or after <paramref name="from"/> in
    /// a readable sector, and its length; -1 if there is none. Runs of zeros (the usual rest of a file) are skipped at
    /// memory speed: a frame starts with a non-zero length, so one of its first four bytes is not zero.
    /// </summary>
    public int NextValidFrame(int from, Guid storeId, out int length)
    {
        var span = Span;
        for (int q = from; q <= span.Length - WalFormat.FrameHeaderSize; q++)
        {
            int nonZero = span[q..].IndexOfAnyExcept((byte)0);
            if (nonZero < 0) break;
            q = Math.Max(q, q + nonZero - 3);
            if (IsBlockReadable(q) && (length = WalFormat.ValidFrameLength(span[q..], storeId)) > 0) return q;
        }
        length = 0;
        return -1;
    }

    /// <summary>
    /// The end of the last non-zero or unreadable byte at or after <paramref name="from"/>, or 0 if there is none.
    /// </summary>
    public int LastNonZeroEnd(int from)
    {
        if (from >= Length) return 0;
        int end = Span[from..].LastIndexOfAnyExcept((byte)0) is var last and >= 0 ? from + last + 1 : 0;
        if (_unreadable is not null)
            for (int block = _unreadable.Length - 1; block >= from / BlockSize && (block + 1) * BlockSize > end; block--)
                if (_unreadable[block]) end = Math.Min(Length, (block + 1) * BlockSize);
        return end;
    }

    public void Dispose() => _buffer = null;
}
