namespace Pravega.Embedded.Tier1;

/// <summary>The real <see cref="IStorageDevice"/>: the local file system through pread/pwrite, fdatasync and fsync of directories.</summary>
internal sealed class FileSystemDevice : IStorageDevice
{
    public static FileSystemDevice Instance { get; } = new();

    private FileSystemDevice()
    {
    }

    public void CreateDirectory(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return;
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full));
        if (parent is not null) CreateDirectory(parent);
        Directory.CreateDirectory(full);
        // The new entry lives in the parent: without this, a power failure can take the directory (and all in it) back.
        if (parent is not null) NativeIO.FlushDirectory(parent);
    }

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IReadOnlyList<string> ListFiles(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var names = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directory)) names.Add(Path.GetFileName(path));
        return names;
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var names = new List<string>();
        foreach (string path in Directory.EnumerateDirectories(directory)) names.Add(Path.GetFileName(path));
        return names;
    }

    public void DeleteDirectory(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(full)) return;
        Directory.Delete(full, recursive: false);
        if (Path.GetDirectoryName(full) is { } parent) NativeIO.FlushDirectory(parent);
    }

    public bool FileExists(string path) => File.Exists(path);

    public IDeviceFile OpenFile(string path, DeviceOpenMode mode) => new FileSystemFile(path, mode switch
    {
        DeviceOpenMode.ReadSequential => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan),
        DeviceOpenMode.OpenExisting => File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite),
        _ => File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite),
    });

    public void DeleteFile(string path) => File.Delete(path);

    public void RenameFile(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void SyncDirectory(string path) => NativeIO.FlushDirectory(path);

    public IDisposable LockDirectory(string path)
    {
        CreateDirectory(path);
        return DirectoryLock.Acquire(path);
    }
}
