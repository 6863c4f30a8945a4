namespace Pravega.Embedded.Tier1;

/// <summary>
/// What the storage layers need from a file system: directories, files by path, atomic rename, directory sync and
/// directory locks. The real implementation is <see cref="FileSystemDevice"/>; tests use a deterministic simulated
/// device that keeps unflushed bytes apart and drops or tears them on a simulated power failure.
/// </summary>
/// <remarks>
/// The durability contract is POSIX's, and callers rely on nothing more: bytes written to a file are durable only
/// after <see cref="IDeviceFile.Flush"/> of that file returned; a created, renamed or deleted directory entry is
/// durable only after <see cref="SyncDirectory"/> of its parent returned. A failed flush leaves the file's unflushed
/// state unknown: callers fail stop and never retry it.
/// </remarks>
internal interface IStorageDevice
{
    /// <summary>
    /// Creates <paramref name="path"/> and any missing parents; each directory it creates is made durable (its parent
    /// synced). Nothing happens if it exists.
    /// </summary>
    void CreateDirectory(string path);

    /// <summary>Whether the directory exists.</summary>
    bool DirectoryExists(string path);

    /// <summary>The names (not paths) of the files directly in <paramref name="directory"/>; empty if it does not exist.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>The names (not paths) of the directories directly in <paramref name="directory"/>; empty if it does not exist.</summary>
    IReadOnlyList<string> ListDirectories(string directory);

    /// <summary>
    /// Removes an empty directory and makes that durable (its parent synced). Nothing happens if it does not exist.
    /// </summary>
    /// <exception cref="IOException">The directory is not empty.</exception>
    void DeleteDirectory(string path);

    /// <summary>Whether the file exists.</summary>
    bool FileExists(string path);

    /// <summary>Opens a file for reading and writing.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="mode"/> is <see cref="DeviceOpenMode.OpenExisting"/> and the file does not exist.</exception>
    IDeviceFile OpenFile(string path, DeviceOpenMode mode);

    /// <summary>Removes a file (durable once its directory is synced). Nothing happens if it does not exist.</summary>
    void DeleteFile(string path);

    /// <summary>Atomically renames a file, replacing any file at <paramref name="destination"/> (durable once the directory is synced).</summary>
    void RenameFile(string source, string destination);

    /// <summary>Makes the directory's entries (creates, renames, deletes) durable.</summary>
    void SyncDirectory(string path);

    /// <summary>
    /// Takes an exclusive lock on a directory for as long as the returned object is not disposed, creating the
    /// directory if needed.
    /// </summary>
    /// <exception cref="DataDirectoryLockedException">Another store (in this or another process) holds it.</exception>
    IDisposable LockDirectory(string path);
}

/// <summary>How <see cref="IStorageDevice.OpenFile"/> opens a file.</summary>
internal enum DeviceOpenMode
{
    /// <summary>The file must exist.</summary>
    OpenExisting,

    /// <summary>Creates the file, or truncates it to zero length if it exists.</summary>
    CreateOrTruncate,

    /// <summary>The file must exist; it is read, mostly front to back (the kernel reads further ahead).</summary>
    ReadSequential,
}
