using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// A read-only memory mapping of a whole file, exposed as <see cref="Memory{T}"/> so that readers deserialize
/// straight from the page cache without copying. Writes go through file handles (see docs/DESIGN.md for why);
/// on Linux the mapping and the page cache are one, so written bytes are visible here at once.
/// </summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly int _length;

    private MappedMemory(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, int length)
    {
        _file = file;
        _view = view;
        _pointer = pointer;
        _length = length;
    }

    public static MappedMemory Open(string path, long length)
    {
        if (length > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(length), "A mapped WAL file must be under 2 GiB.");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            // Readers (catch-up, recovery) go through a log file front to back.
            NativeIO.AdviseSequential(pointer, (long)view.SafeMemoryMappedViewHandle.ByteLength);
            return new MappedMemory(file, view, pointer + view.PointerOffset, (int)length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public ReadOnlySpan<byte> Span => new(_pointer, _length);

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
