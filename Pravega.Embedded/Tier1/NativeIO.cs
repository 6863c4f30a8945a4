using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// The few durability calls .NET does not expose: fdatasync (data without the mtime update that fsync would
/// also force) and fsync of a directory (to make a create or rename durable). Elsewhere than Linux they fall
/// back to <see cref="RandomAccess.FlushToDisk"/> and to nothing, respectively.
/// </summary>
internal static partial class NativeIO
{
    public static void FlushData(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            if (FDataSync(handle) != 0)
                throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        else
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    public static void FlushDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"open of directory '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (FSync(fd) != 0) throw new IOException($"fsync of directory '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Reserves real blocks for <c>[0, length)</c> of a file (posix_fallocate), so that a full disk fails now and not in
    /// the middle of later writes. Elsewhere than Linux the file is only extended.
    /// </summary>
    public static void Allocate(SafeFileHandle handle, long length)
    {
        if (OperatingSystem.IsLinux())
        {
            int error = PosixFAllocate(handle, 0, length);
            if (error != 0) throw new IOException($"posix_fallocate of {length} bytes failed (errno {error}).", error == 28 ? DiskFullHResult : error);
        }
        else if (RandomAccess.GetLength(handle) < length)
        {
            RandomAccess.SetLength(handle, length);
        }
    }

    /// <summary>The HResult .NET gives an <see cref="IOException"/> for ENOSPC on Unix.</summary>
    private const int DiskFullHResult = 28;

    /// <summary>
    /// Tells the kernel a mapping will be read sequentially (more readahead on page faults); a hint, so failures
    /// are ignored. Nothing elsewhere than Linux.
    /// </summary>
    public static unsafe void AdviseSequential(byte* address, long length)
    {
        if (OperatingSystem.IsLinux()) _ = MAdvise(address, (nuint)length, 2 /* MADV_SEQUENTIAL */);
    }

    /// <summary>
    /// Maps the pages of a range of a mapping in one call (MADV_POPULATE_READ, Linux 5.14+) instead of a page fault per
    /// few pages; a hint, so failures (older kernels) are ignored.
    /// </summary>
    public static unsafe void PopulateRead(byte* address, long length)
    {
        if (OperatingSystem.IsLinux()) _ = MAdvise(address, (nuint)length, 22 /* MADV_POPULATE_READ */);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static unsafe partial int MAdvise(byte* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFAllocate(SafeFileHandle fd, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
