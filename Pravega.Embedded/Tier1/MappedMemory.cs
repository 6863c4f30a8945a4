using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// A read-only memory mapping of a whole file, exposed as <see cref="Memory{T}"/> so that readers deserialize
/// straight from the page cache without copying. Writes go through file handles (see docs/DESIGN.md for why);
/// on Linux the mapping and the page cache are one, so written bytes are visible here at once.
/// </summary>
internal sealed unsafe class MappedMemory : DeviceMapping
{
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly int _length;
    private readonly int[] _requested;
    private int _disposed;
    private const int ChunkShift = 21;
    private const int ChunksAhead = 2;

    private MappedMemory(MemoryMappedViewAccessor view, byte* pointer, int length)
    {
        _view = view;
        _pointer = pointer;
        _length = length;
        _requested = new int[(ChunkCount >> 5) + 1];
    }

    public static MappedMemory Open(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Open(handle, checked((int)length));
    }

    /// <summary>
    /// Maps the first <paramref name="length"/> bytes of an open file. The mapping does not need the handle (which stays
    /// the caller's) nor keep a descriptor of its own: a mapped file costs no file descriptor once its handle is closed.
    /// </summary>
    public static MappedMemory Open(Microsoft.Win32.SafeHandles.SafeFileHandle handle, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        using var file = MemoryMappedFile.CreateFromFile(handle, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        {
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            // Readers (catch-up, recovery) go through a log file front to back.
            NativeIO.AdviseSequential(pointer, (long)view.SafeMemoryMappedViewHandle.ByteLength);
            return new MappedMemory(view, pointer + view.PointerOffset, length);
        }
    }

    public override ReadOnlySpan<byte> Span => new(_pointer, _length);

    /// <summary>
    /// Called before <c>[position, position + length)</c> is read: maps the next chunks ahead of the reader on the thread
    /// pool (each 2 MiB chunk once, in one system call), so that a reader going through the log does not take a page
    /// fault per few pages. Only chunks that readers reach become resident, as with faults.
    /// </summary>
    public override void PrefetchAhead(int position, int length)
    {
        int chunk = position >> ChunkShift;
        int last = Math.Min((position + length - 1) >> ChunkShift, ChunkCount - 1) + ChunksAhead;
        for (int c = chunk; c <= last && c < ChunkCount; c++)
        {
            ref int word = ref _requested[c >> 5];
            int bit = 1 << (c & 31);
            if ((Volatile.Read(ref word) & bit) != 0 || (Interlocked.Or(ref word, bit) & bit) != 0) continue;
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Map.Populate(state.Chunk), (Map: this, Chunk: c), preferLocal: false);
        }
    }

    private void Populate(int chunk)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        long start = (long)chunk << ChunkShift;
        NativeIO.PopulateRead(_pointer + start, Math.Min(1L << ChunkShift, _length - start));
    }

    private int ChunkCount => (int)(((long)_length + (1L << ChunkShift) - 1) >> ChunkShift);

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        Volatile.Write(ref _disposed, 1); // a prefetch still queued does nothing (one running only fails harmlessly)
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
    }
}
