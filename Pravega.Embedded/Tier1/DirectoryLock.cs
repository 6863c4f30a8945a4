namespace Pravega.Embedded.Tier1;

/// <summary>
/// An exclusive lock on a data directory for the store's lifetime: a lock file opened with
/// <see cref="FileShare.None"/> (an advisory <c>flock</c> on Unix), so a second open from this or another
/// process fails with <see cref="DataDirectoryLockedException"/>. The OS drops it if the process dies.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    public const string FileName = ".lock";
    private readonly FileStream _file;

    private DirectoryLock(FileStream file) => _file = file;

    /// <summary>Locks an existing directory (<see cref="FileSystemDevice.LockDirectory"/> creates it durably first).</summary>
    public static DirectoryLock Acquire(string directory)
    {
        string path = Path.Combine(directory, FileName);
        try
        {
            return new DirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new DataDirectoryLockedException($"The data directory '{directory}' is in use by another store (lock file '{FileName}').", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
