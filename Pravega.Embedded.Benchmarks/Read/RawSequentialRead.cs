using System.Diagnostics;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// The yardstick for catch-up reads: every <c>wal-*.log</c> file of one Tier-1 mirror read from start to end with
/// <see cref="RandomAccess.Read(Microsoft.Win32.SafeHandles.SafeFileHandle, Span{byte}, long)"/> in 1 MiB reads into
/// one reused buffer (<see cref="FileOptions.SequentialScan"/>): one copy from the page cache per byte, no parsing.
/// </summary>
internal static class RawSequentialRead
{
    public const int ReadSize = 1 << 20;

    /// <summary>Reads the files of <paramref name="mirror"/>; returns the bytes read and the wall time.</summary>
    public static (long Bytes, TimeSpan Elapsed) ReadAll(string mirror)
    {
        var files = Directory.GetFiles(mirror, "wal-*.log");
        Array.Sort(files, StringComparer.Ordinal); // zero-padded sequence numbers: log order
        return ReadFiles(files);
    }

    /// <summary>Reads <paramref name="files"/> whole, in order; returns the bytes read and the wall time.</summary>
    public static (long Bytes, TimeSpan Elapsed) ReadFiles(string[] files)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReadSize, pinned: true);
        long total = 0;
        long start = Stopwatch.GetTimestamp();
        foreach (string path in files)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0) offset += read;
            total += offset;
        }
        return (total, Stopwatch.GetElapsedTime(start));
    }
}
