using Microsoft.Win32.SafeHandles;

namespace Pravega.Embedded.Tier1;

/// <summary>A file of the <see cref="FileSystemDevice"/>.</summary>
internal sealed class FileSystemFile : IDeviceFile
{
    private readonly SafeFileHandle _handle;

    public FileSystemFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    public long Length => RandomAccess.GetLength(_handle);

    public int Read(Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(_handle, destination[total..], offset + total);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    public void Write(ReadOnlySpan<byte> source, long offset) => RandomAccess.Write(_handle, source, offset);

    public void Flush() => NativeIO.FlushData(_handle);

    public void Allocate(long length) => NativeIO.Allocate(_handle, length);

    public DeviceMapping Map(int length) => MappedMemory.Open(_handle, length);

    public void Dispose() => _handle.Dispose();
}
