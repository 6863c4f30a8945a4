using System.Buffers.Binary;
using System.Globalization;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Container checkpoints as files in every Tier-1 mirror (docs/FORMAT.md, "Checkpoint file"): <c>checkpoint-&lt;lsn&gt;.ckpt</c>,
/// written whole under a temporary name, synced, renamed and its directory synced, in one mirror after the other, so a
/// reader finds a checkpoint complete or not at all. Recovery takes the newest one of which any mirror holds a valid copy.
/// </summary>
internal static class CheckpointFiles
{
    public const int Version = 1;
    private const string Prefix = "checkpoint-";
    private const string Suffix = ".ckpt";
    private const string TempSuffix = ".ckpt.tmp";
    private const int HeaderSize = 56;
    private static ReadOnlySpan<byte> Magic => "PRVGCKP1"u8;

    public static string FileName(long lsn) => Prefix + lsn.ToString("D20", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>The bytes of a checkpoint file.</summary>
    public static byte[] Encode(ContainerCheckpoint checkpoint)
    {
        long size = HeaderSize + 4;
        foreach (var r in checkpoint.Records) size += 4 + r.Length;
        if (size > int.MaxValue) throw new InvalidOperationException("The checkpoint is larger than 2 GiB.");
        var bytes = new byte[size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), HeaderSize);
        checkpoint.StoreId.TryWriteBytes(bytes.AsSpan(16));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), checkpoint.Lsn);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(40), checkpoint.FirstNeededFile);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(48), checkpoint.Records.Count);
        int position = HeaderSize;
        foreach (var r in checkpoint.Records)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), r.Length);
            r.CopyTo(bytes, position + 4);
            position += 4 + r.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(position), Crc32C.Compute(bytes.AsSpan(0, position)));
        return bytes;
    }

    /// <summary>The checkpoint in <paramref name="bytes"/>; null when they are not a whole, valid checkpoint file.</summary>
    /// <exception cref="UnsupportedStorageFormatException">A valid file of another format version.</exception>
    public static ContainerCheckpoint? Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderSize + 4 || !bytes[..8].SequenceEqual(Magic)) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) != Crc32C.Compute(bytes[..^4])) return null;
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (version != Version)
            throw new UnsupportedStorageFormatException(
                $"The checkpoint file '{path}' has format version {version}; this version of Pravega.Embedded reads only {Version}. Nothing was changed.",
                path, version, Version);
        var storeId = new Guid(bytes.Slice(16, 16));
        long lsn = BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]);
        long firstNeeded = BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[48..]);
        var records = new List<byte[]>(Math.Max(0, Math.Min(count, 1 << 20)));
        int position = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        for (int i = 0; i < count; i++)
        {
            if (position + 4 > bytes.Length - 4) return null;
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
            if (length < 0 || position + 4 + length > bytes.Length - 4) return null;
            records.Add(bytes.Slice(position + 4, length).ToArray());
            position += 4 + length;
        }
        return position == bytes.Length - 4 ? new ContainerCheckpoint(storeId, lsn, records, firstNeeded) : null;
    }

    /// <summary>Writes the checkpoint durably in every mirror, one after the other; throws on the first failure.</summary>
    public static void Write(IStorageDevice device, IReadOnlyList<string> directories, ContainerCheckpoint checkpoint)
    {
        var bytes = Encode(checkpoint);
        string name = FileName(checkpoint.Lsn);
        foreach (string dir in directories)
        {
            string temp = Path.Combine(dir, name[..^Suffix.Length] + TempSuffix);
            using (var file = device.OpenFile(temp, DeviceOpenMode.CreateOrTruncate))
            {
                file.Write(bytes, 0);
                file.Flush();
            }
            device.RenameFile(temp, Path.Combine(dir, name));
            device.SyncDirectory(dir);
        }
    }

    /// <summary>
    /// The newest checkpoint any mirror holds a valid copy of (null: none). Temporary files a crash left behind are
    /// deleted; invalid copies are left alone (a newer valid one supersedes them, and they are deleted with it).
    /// </summary>
    public static ContainerCheckpoint? ReadNewest(IStorageDevice device, IReadOnlyList<string> directories)
    {
        var byLsn = new SortedDictionary<long, List<string>>();
        foreach (string dir in directories)
        {
            bool removed = false;
            foreach (string name in device.ListFiles(dir))
            {
                if (name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(TempSuffix, StringComparison.Ordinal))
                {
                    device.DeleteFile(Path.Combine(dir, name));
                    removed = true;
                }
                else if (TryParse(name, out long lsn))
                {
                    if (!byLsn.TryGetValue(lsn, out var paths)) byLsn.Add(lsn, paths = []);
                    paths.Add(Path.Combine(dir, name));
                }
            }
            if (removed) device.SyncDirectory(dir);
        }
        foreach (var (_, paths) in byLsn.Reverse())
        {
            foreach (string path in paths)
            {
                if (ReadCopy(device, path) is { } checkpoint) return checkpoint;
            }
        }
        return null;
    }

    /// <summary>Deletes every checkpoint file older than <paramref name="lsn"/> in every mirror (once a newer one is durable everywhere).</summary>
    public static void DeleteOlderThan(IStorageDevice device, IReadOnlyList<string> directories, long lsn)
    {
        foreach (string dir in directories)
        {
            bool removed = false;
            foreach (string name in device.ListFiles(dir))
            {
                if (!TryParse(name, out long old) || old >= lsn) continue;
                device.DeleteFile(Path.Combine(dir, name));
                removed = true;
            }
            if (removed) device.SyncDirectory(dir);
        }
    }

    private static ContainerCheckpoint? ReadCopy(IStorageDevice device, string path)
    {
        try
        {
            using var file = device.OpenFile(path, DeviceOpenMode.OpenExisting);
            if (file.Length > int.MaxValue) return null;
            var bytes = new byte[file.Length];
            int read = file.Read(bytes, 0); // short only at the end (IDeviceFile.Read)
            return Decode(bytes.AsSpan(0, read), path);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            return null; // a bad sector: another mirror's copy may read
        }
    }

    private static bool TryParse(string name, out long lsn)
    {
        lsn = 0;
        return name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out lsn);
    }
}
