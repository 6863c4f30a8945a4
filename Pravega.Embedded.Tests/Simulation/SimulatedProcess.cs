using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// One process's view of a <see cref="SimulatedDevice"/>: a store is opened on a fresh view, and <see cref="Crash"/> or
/// <see cref="PowerFail"/> kills the view together with the device's epoch. The device already kills every handle opened
/// before; the view also refuses every later call (a new file, a rename, a lock), so that the abandoned store's
/// threads, which run on until it is disposed, cannot act after their "process" died (a real dead process cannot open a
/// file in the next one's page cache).
/// </summary>
internal sealed class SimulatedProcess(SimulatedDevice device) : IStorageDevice
{
    private bool _dead;

    public SimulatedDevice Device { get; } = device;

    /// <summary>The process crashed or lost power.</summary>
    public bool IsDead => _dead;

    /// <summary>SIGKILL: see <see cref="SimulatedDevice.Crash"/>.</summary>
    public void Crash()
    {
        lock (Device.Gate)
        {
            _dead = true;
            Device.Crash();
        }
    }

    /// <summary>The power is cut: see <see cref="SimulatedDevice.PowerFail"/>.</summary>
    public IReadOnlyList<string> PowerFail(Random random)
    {
        lock (Device.Gate)
        {
            _dead = true;
            return Device.PowerFail(random);
        }
    }

    public void CreateDirectory(string path) => Do(() => Device.CreateDirectory(path));

    public bool DirectoryExists(string path) => Do(() => Device.DirectoryExists(path));

    public IReadOnlyList<string> ListFiles(string directory) => Do(() => Device.ListFiles(directory));

    public IReadOnlyList<string> ListDirectories(string directory) => Do(() => Device.ListDirectories(directory));

    public void DeleteDirectory(string path) => Do(() => Device.DeleteDirectory(path));

    public bool FileExists(string path) => Do(() => Device.FileExists(path));

    public IDeviceFile OpenFile(string path, DeviceOpenMode mode) => Do(() => Device.OpenFile(path, mode));

    public void DeleteFile(string path) => Do(() => Device.DeleteFile(path));

    public void RenameFile(string source, string destination) => Do(() => Device.RenameFile(source, destination));

    public void SyncDirectory(string path) => Do(() => Device.SyncDirectory(path));

    public IDisposable LockDirectory(string path) => Do(() => Device.LockDirectory(path));

    private void Do(Action action)
    {
        lock (Device.Gate)
        {
            ThrowIfDead();
            action();
        }
    }

    private T Do<T>(Func<T> action)
    {
        lock (Device.Gate)
        {
            ThrowIfDead();
            return action();
        }
    }

    private void ThrowIfDead()
    {
        if (_dead) throw new IOException($"The simulated process died ({Device.LastFailure}): it can no longer reach the device.");
    }
}
