namespace Pravega.Embedded.Tier1;

/// <summary>The state of one mirror's copy of a log file, from its header alone.</summary>
internal enum CopyState : byte
{
    /// <summary>No such file in this mirror.</summary>
    Missing,

    /// <summary>The file exists but its header cannot be read (torn, corrupt, unreadable): its bytes are never trusted.</summary>
    Damaged,

    /// <summary>A valid header of this store, this sequence and the file's size.</summary>
    Valid,
}

/// <summary>One log file sequence number across the mirrors, as the headers describe it.</summary>
internal sealed record InventoryFile(long Sequence, int Size, uint Generation, CopyState[] Copies);

/// <summary>
/// What the mirror directories hold before any frame is read: the store's id, and for every log file the state of
/// each mirror's copy and the file's size (from its header: never from today's options). Refuses, without changing
/// anything, what it cannot account for: a file whose header no mirror can read, a format it does not know, a file
/// that claims another sequence, mirrors of different stores, copies that disagree on a file's size.
/// </summary>
internal sealed class WalInventory
{
    private WalInventory(Guid storeId, SortedDictionary<long, InventoryFile> files)
    {
        StoreId = storeId;
        Files = files;
    }

    /// <summary>The store's id; <see cref="Guid.Empty"/> when no mirror holds any log file.</summary>
    public Guid StoreId { get; }

    /// <summary>Every log file any mirror holds, by sequence.</summary>
    public SortedDictionary<long, InventoryFile> Files { get; }

    public bool IsEmpty => Files.Count == 0;

    public static WalInventory Take(IStorageDevice device, IReadOnlyList<string> directories)
    {
        var headers = new SortedDictionary<long, (CopyState State, FileHeader Header, UnsupportedStorageFormatException? Newer)[]>();
        for (int m = 0; m < directories.Count; m++)
        {
            string dir = directories[m];
            device.CreateDirectory(dir);
            bool removed = false;
            foreach (string name in device.ListFiles(dir))
            {
                if (name.EndsWith(WalFormat.TempSuffix, StringComparison.Ordinal) && name.StartsWith(WalFormat.FilePrefix, StringComparison.Ordinal))
                {
                    // A file being prepared: never part of the log (a file gets its name only once complete and durable).
                    device.DeleteFile(Path.Combine(dir, name));
                    removed = true;
                    continue;
                }
                if (!WalFormat.TryParseFileName(name, out long seq)) continue;
                if (!headers.TryGetValue(seq, out var copies)) headers.Add(seq, copies = new (CopyState, FileHeader, UnsupportedStorageFormatException?)[directories.Count]);
                copies[m] = ReadHeader(device, dir, name, seq);
            }
            if (removed) device.SyncDirectory(dir);
        }

        Guid storeId = Guid.Empty;
        int storeMirror = -1;
        var files = new SortedDictionary<long, InventoryFile>();
        var headerless = new List<long>();
        foreach (var (seq, copies) in headers)
        {
            int size = 0;
            uint generation = 0;
            var states = new CopyState[directories.Count];
            for (int m = 0; m < copies.Length; m++)
            {
                states[m] = copies[m].State;
                if (copies[m].State != CopyState.Valid) continue;
                var header = copies[m].Header;
                if (storeId == Guid.Empty) (storeId, storeMirror) = (header.StoreId, m);
                else if (header.StoreId != storeId)
                    throw new StorageCorruptedException(
                        $"The mirror '{directories[m]}' holds files of another store ({header.StoreId}) than '{directories[storeMirror]}' ({storeId}): " +
                        "a directory of another store was given as a mirror. Nothing was changed.",
                        directories[m], WalFormat.FileName(seq), offset: 0, lsn: null);
                if (size == 0) (size, generation) = ((int)header.FileSize, header.Generation);
                else if (header.FileSize != size)
                    throw new StorageCorruptedException(
                        $"The copies of WAL file {WalFormat.FileName(seq)} disagree on its size ({size} and {header.FileSize} bytes). Nothing was changed.",
                        directories[m], WalFormat.FileName(seq), offset: 0, lsn: null);
                generation = Math.Max(generation, header.Generation);
            }
            // A copy that may be of a newer format is damage when another mirror holds a valid header of this format for
            // the same file; with no such copy nothing tells a newer format from damage, so the store is not opened.
            if (size == 0)
                foreach (var copy in copies)
                    if (copy.Newer is { } newer) throw newer;
            if (size == 0)
            {
                headerless.Add(seq);
                continue;
            }
            files.Add(seq, new InventoryFile(seq, size, generation, states));
        }
        foreach (long seq in headerless)
        {
            // A file prepared ahead whose preparation a crash cut short in the other mirrors (so never written to), then
            // damaged: its bytes prove it holds no record of this store, so it is left alone (not deleted; the log
            // replaces it by rename when it gets there). Anything else whose header no mirror reads is refused.
            if (storeId != Guid.Empty && HoldsNoFrame(device, directories, seq, storeId)) continue;
            throw new StorageCorruptedException(
                $"No mirror holds a readable header of WAL file {WalFormat.FileName(seq)}: its records cannot be recovered, so the store is not opened (nothing was deleted or changed).",
                directory: null, WalFormat.FileName(seq), offset: 0, lsn: null);
        }
        return new WalInventory(storeId, files);
    }

    /// <summary>
    /// Whether every mirror's copy of the file reads whole after its header block and holds no valid frame of the store
    /// there (valid frames carry the store id in their CRC, so this needs no header).
    /// </summary>
    private static bool HoldsNoFrame(IStorageDevice device, IReadOnlyList<string> directories, long seq, Guid storeId)
    {
        foreach (string dir in directories)
        {
            string path = Path.Combine(dir, WalFormat.FileName(seq));
            if (!device.FileExists(path)) continue;
            using var file = device.OpenFile(path, DeviceOpenMode.OpenExisting);
            if (file.Length > int.MaxValue) return false;
            using var copy = MirrorCopy.Read(file, (int)file.Length);
            if (copy.Length > WalFormat.FileHeaderSize && !copy.IsReadable(WalFormat.FileHeaderSize, copy.Length - WalFormat.FileHeaderSize))
                return false; // only the header block may be unreadable: frames lie after it
            if (copy.NextValidFrame(WalFormat.FileHeaderSize, storeId, out _) >= 0) return false;
        }
        return true;
    }

    /// <returns>The copy's state and header; for a header that may be of a newer format, the refusal to raise if no other copy is valid.</returns>
    private static (CopyState, FileHeader, UnsupportedStorageFormatException?) ReadHeader(IStorageDevice device, string dir, string name, long seq)
    {
        string path = Path.Combine(dir, name);
        Span<byte> block = stackalloc byte[WalFormat.FileHeaderSize];
        int read;
        try
        {
            using var file = device.OpenFile(path, DeviceOpenMode.OpenExisting);
            read = file.Read(block, 0);
        }
        catch (IOException)
        {
            return (CopyState.Damaged, default, null); // an unreadable header: this copy cannot be trusted, another may be
        }
        var status = WalFormat.ReadFileHeader(block[..read], out var header, out int version);
        switch (status)
        {
            case HeaderStatus.OtherVersion or HeaderStatus.NewerOrDamaged:
                var refusal = new UnsupportedStorageFormatException(
                    version < WalFormat.Version
                        ? $"The WAL file '{path}' has format version {version}, written by an earlier version of Pravega.Embedded; this version reads only format {WalFormat.Version} and does not migrate. Nothing was changed."
                        : $"The WAL file '{path}' has format version {version}, newer than this version of Pravega.Embedded reads ({WalFormat.Version}). Nothing was changed.",
                    path, version, WalFormat.Version);
                if (status == HeaderStatus.OtherVersion) throw refusal;
                return (CopyState.Damaged, default, refusal);
            case HeaderStatus.Valid when header.Sequence != seq:
                throw new StorageCorruptedException(
                    $"The WAL file '{path}' declares sequence {header.Sequence}: a file was renamed or copied by hand. Nothing was changed.",
                    dir, name, offset: 0, lsn: null);
            case HeaderStatus.Valid:
                return (CopyState.Valid, header, null);
            default:
                return (CopyState.Damaged, default, null);
        }
    }
}
