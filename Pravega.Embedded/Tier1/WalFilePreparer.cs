namespace Pravega.Embedded.Tier1;

/// <summary>
/// Creates log files ahead of use. A file is built under a temporary name (full size, header, zeros), made
/// durable, then renamed, so recovery only ever sees complete files. Zero-filling makes later overwrites
/// cheaper to fdatasync (no block allocation, see docs/DESIGN.md); when the log needs the file before the
/// zeros are done, <see cref="Hurry"/> stops the filling and the rest of the file stays sparse.
/// </summary>
internal sealed class WalFilePreparer
{
    private const int ZeroChunk = 1 << 20;
    private const int ChunksPerFlush = 4;
    private static readonly byte[] Zeros = new byte[ZeroChunk];
    private readonly IReadOnlyList<string> _directories;
    private readonly int _fileSize;
    private readonly bool _zeroFill;
    private volatile bool _hurry;

    public WalFilePreparer(IReadOnlyList<string> directories, long sequence, int fileSize, bool zeroFill)
    {
        _directories = directories;
        Sequence = sequence;
        _fileSize = fileSize;
        _zeroFill = zeroFill;
    }

    public long Sequence { get; }

    /// <summary>Prepares the file in every mirror in parallel; the task completes when all are durable.</summary>
    public Task StartInBackground() => Task.Run(() => Parallel.For(0, _directories.Count, PrepareMirror));

    /// <summary>Prepares the file in every mirror on the calling thread.</summary>
    public void Prepare() => Parallel.For(0, _directories.Count, PrepareMirror);

    /// <summary>Stop zero-filling: the file is needed now.</summary>
    public void Hurry() => _hurry = true;

    private void PrepareMirror(int mirror) => CreateFile(_directories[mirror], Sequence, _fileSize, _zeroFill ? () => _hurry : null);

    /// <summary>
    /// Creates one durable, zero-filled (until <paramref name="stop"/> says so; null: no filling) log file with
    /// its header, atomically by rename.
    /// </summary>
    public static void CreateFile(string directory, long sequence, int fileSize, Func<bool>? stop, Action<FileStream>? fill = null)
    {
        string final = Path.Combine(directory, WalFormat.FileName(sequence));
        string temp = final + WalFormat.TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None))
        {
            stream.SetLength(fileSize);
            Span<byte> header = stackalloc byte[WalFormat.FileHeaderSize];
            WalFormat.WriteFileHeader(header, sequence, fileSize);
            RandomAccess.Write(stream.SafeFileHandle, header, 0);
            if (stop is not null)
            {
                // Flushed every few chunks, so that a hurried preparer (or the log's own fdatasync) never waits
                // behind tens of MiB of dirty zeros.
                for (long position = WalFormat.FileHeaderSize; position < fileSize && !stop(); position += ZeroChunk)
                {
                    RandomAccess.Write(stream.SafeFileHandle, Zeros.AsSpan(0, (int)Math.Min(ZeroChunk, fileSize - position)), position);
                    if ((position / ZeroChunk) % ChunksPerFlush == ChunksPerFlush - 1) NativeIO.FlushData(stream.SafeFileHandle);
                }
            }
            fill?.Invoke(stream);
            NativeIO.FlushData(stream.SafeFileHandle);
        }
        File.Move(temp, final, overwrite: true);
        NativeIO.FlushDirectory(directory);
    }
}
