namespace Pravega.Embedded.Tier1;

/// <summary>
/// Creates log files ahead of use. A file is built under a temporary name (blocks allocated for its full size,
/// header, zeros), made durable, then renamed and its directory synced, so recovery only ever sees complete files.
/// Zero-filling makes later overwrites cheaper to fdatasync (no extent conversion, see docs/DESIGN.md); when the log
/// needs the file before the zeros are done, <see cref="Hurry"/> stops the filling. A recycled file (a dropped one kept
/// as a spare, <see cref="WalFormat.SpareName"/>) is renamed to the temporary name instead and only given its new
/// header: its blocks are written already, and the old frames after the header are never taken for records (their LSNs
/// are below every LSN the log still holds; docs/FORMAT.md, "Recycled files").
/// </summary>
internal sealed class WalFilePreparer
{
    private const int ZeroChunk = 1 << 20;
    private const int ChunksPerFlush = 4;
    private static readonly byte[] Zeros = new byte[ZeroChunk];
    private readonly IStorageDevice _device;
    private readonly IReadOnlyList<string> _directories;
    private readonly FileHeader _header;
    private readonly bool _zeroFill;
    private readonly bool _parallel;
    private readonly long? _spare;
    private volatile bool _hurry;

    /// <summary>
    /// A preparer of one file; <paramref name="parallel"/> false prepares the mirrors one after the other, in mirror order
    /// (a stepped log); <paramref name="spare"/> is the old sequence of a spare file to recycle (in every mirror).
    /// </summary>
    public WalFilePreparer(IStorageDevice device, IReadOnlyList<string> directories, in FileHeader header, bool zeroFill, bool parallel = true, long? spare = null)
    {
        _device = device;
        _directories = directories;
        _header = header;
        _zeroFill = zeroFill;
        _parallel = parallel;
        _spare = spare;
    }

    /// <summary>The spare file this preparer recycles, if any.</summary>
    public long? Spare => _spare;

    public long Sequence => _header.Sequence;

    public int Size => (int)_header.FileSize;

    /// <summary>Prepares the file in every mirror in parallel; the task completes when all are durable.</summary>
    public Task StartInBackground() => Task.Run(Prepare);

    /// <summary>Prepares the file in every mirror (in parallel unless told otherwise), from the calling thread; throws the first mirror's failure.</summary>
    public void Prepare()
    {
        if (!_parallel)
        {
            for (int m = 0; m < _directories.Count; m++) PrepareMirror(m);
            return;
        }
        try
        {
            Parallel.For(0, _directories.Count, PrepareMirror);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>Stop zero-filling: the file is needed now.</summary>
    public void Hurry() => _hurry = true;

    private void PrepareMirror(int mirror)
    {
        if (_spare is { } spare && RecycleFile(_device, _directories[mirror], spare, _header)) return;
        CreateFile(_device, _directories[mirror], _header, _zeroFill ? () => _hurry : null);
    }

    /// <summary>
    /// Makes the spare of old sequence <paramref name="spare"/> the log file <paramref name="header"/> describes: renamed to
    /// the temporary name, given the new header durably, then renamed into place and its directory synced. False (and
    /// the spare deleted) when the spare is missing or not of the new file's size.
    /// </summary>
    public static bool RecycleFile(IStorageDevice device, string directory, long spare, in FileHeader header)
    {
        string source = Path.Combine(directory, WalFormat.SpareName(spare));
        if (!device.FileExists(source)) return false;
        string final = Path.Combine(directory, WalFormat.FileName(header.Sequence));
        string temp = final + WalFormat.TempSuffix;
        device.RenameFile(source, temp);
        bool fits;
        using (var file = device.OpenFile(temp, DeviceOpenMode.OpenExisting))
        {
            fits = file.Length == header.FileSize;
            if (fits)
            {
                var block = new byte[WalFormat.FileHeaderSize];
                WalFormat.WriteFileHeader(block, header);
                file.Write(block, 0);
                file.Flush();
            }
        }
        if (!fits)
        {
            device.DeleteFile(temp);
            return false;
        }
        device.RenameFile(temp, final);
        device.SyncDirectory(directory);
        return true;
    }

    /// <summary>
    /// Creates one durable log file with its header, atomically by rename; zero-filled until <paramref name="stop"/>
    /// says so (null: no filling; the blocks are allocated all the same), then given its content by
    /// <paramref name="fill"/> if any (recovery rebuilding a mirror's copy).
    /// </summary>
    public static void CreateFile(IStorageDevice device, string directory, in FileHeader header, Func<bool>? stop, Action<IDeviceFile>? fill = null)
    {
        string final = Path.Combine(directory, WalFormat.FileName(header.Sequence));
        string temp = final + WalFormat.TempSuffix;
        int size = (int)header.FileSize;
        using (var file = device.OpenFile(temp, DeviceOpenMode.CreateOrTruncate))
        {
            file.Allocate(size);
            var block = new byte[WalFormat.FileHeaderSize];
            WalFormat.WriteFileHeader(block, header);
            file.Write(block, 0);
            if (stop is not null)
            {
                // Flushed every few chunks, so that a hurried preparer (or the log's own fdatasync) never waits
                // behind tens of MiB of dirty zeros.
                for (long position = WalFormat.FileHeaderSize, chunk = 0; position < size && !stop(); position += ZeroChunk, chunk++)
                {
                    file.Write(Zeros.AsSpan(0, (int)Math.Min(ZeroChunk, size - position)), position);
                    if (chunk % ChunksPerFlush == ChunksPerFlush - 1) file.Flush();
                }
            }
            fill?.Invoke(file);
            file.Flush();
        }
        device.RenameFile(temp, final);
        device.SyncDirectory(directory);
    }
}
