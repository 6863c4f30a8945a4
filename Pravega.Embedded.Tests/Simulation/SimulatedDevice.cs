using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// A deterministic, in-memory <see cref="IStorageDevice"/> that holds the POSIX durability contract to the letter and
/// no further: file bytes are durable only after <see cref="IDeviceFile.Flush"/>, directory entries only after
/// <see cref="SyncDirectory"/> of their parent. <see cref="Crash"/> kills the "process" (SIGKILL: the page cache
/// survives); <see cref="PowerFail"/> cuts the power (whatever was not made durable is dropped, kept, torn or reordered
/// by seed). Faults (failed flushes, bad sectors, corruption, misdirected writes, a full disk) are injected by tests
/// (<c>SimulatedDevice.Faults.cs</c>) or drawn from a <see cref="SimulatedFaultPlan"/>.
/// </summary>
/// <remarks>
/// Thread-safe: one lock per device guards everything (mapping views read the page-cache array without it, as a real
/// mapping reads without a system call). Deterministic: every random choice comes from the <see cref="Random"/> given
/// to the constructor (failed flushes, fault plans, corruption) or to <see cref="PowerFail"/>, so the same seeds and
/// the same sequence of calls give the same outcome. Paths are plain string keys (ordinal, trailing separators
/// trimmed, never made absolute); the parent of a path is <see cref="Path.GetDirectoryName(string)"/>, and a root
/// always exists. <see cref="ListFiles"/> answers in ordinal order.
/// </remarks>
internal sealed partial class SimulatedDevice : IStorageDevice
{
    /// <summary>The unit a write can tear at and a corruption damages.</summary>
    public const int SectorSize = 512;

    /// <summary>The HResult of an <see cref="IOException"/> for ENOSPC on Unix, as <see cref="FileSystemDevice"/> gives it.</summary>
    public const int DiskFullHResult = 28;

    private readonly Random _random;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedNode> _visible = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedNode> _durable = new(StringComparer.Ordinal);
    private readonly List<EntryChange> _pendingEntries = [];
    private readonly Dictionary<string, DirectoryLockToken> _locks = new(StringComparer.Ordinal);
    private long _nextNodeId;

    /// <param name="random">The source of every random choice the device makes by itself (not of power failures).</param>
    public SimulatedDevice(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
    }

    internal Lock Gate { get; } = new();

    /// <summary>
    /// Called (under <see cref="Gate"/>, on the calling thread) after every change a caller makes: a file write, flush
    /// (also a failed one) or allocation, a create, delete, rename or directory sync. The simulation counts them to kill
    /// its process at an exact point of a commit.
    /// </summary>
    internal Action? Mutated { get; set; }

    internal void NoteMutation() => Mutated?.Invoke();

    /// <summary>Bumped by every crash and power failure; handles, locks and mappings of an older epoch are dead.</summary>
    internal int Epoch { get; private set; }

    /// <summary>What ended the last epoch ("crash" or "power failure"), for the messages of dead handles.</summary>
    internal string LastFailure { get; private set; } = "crash";

    public void CreateDirectory(string path)
    {
        path = Normalize(path);
        lock (Gate)
        {
            if (IsRoot(path) || _directories.Contains(path)) return;
            if (_visible.ContainsKey(path)) throw new IOException($"Cannot create '{path}' because a file with the same name already exists.");
            CreateDirectory(ParentOf(path)!);
            // Durable at once: the contract syncs the parent of every directory it creates.
            _directories.Add(path);
        }
    }

    public bool DirectoryExists(string path)
    {
        path = Normalize(path);
        lock (Gate) return IsRoot(path) || _directories.Contains(path);
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        directory = Normalize(directory);
        lock (Gate)
        {
            var names = new List<string>();
            foreach (string path in _visible.Keys)
            {
                if (ParentOf(path) == directory) names.Add(Path.GetFileName(path));
            }
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        directory = Normalize(directory);
        lock (Gate)
        {
            var names = new List<string>();
            foreach (string path in _directories)
                if (ParentOf(path) == directory) names.Add(Path.GetFileName(path));
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <remarks>Durable at once, as <see cref="CreateDirectory"/> is (the contract syncs the parent).</remarks>
    public void DeleteDirectory(string path)
    {
        path = Normalize(path);
        lock (Gate)
        {
            if (IsRoot(path) || !_directories.Contains(path)) return;
            foreach (string other in _directories)
                if (ParentOf(other) == path) throw new IOException($"The directory '{path}' is not empty.");
            foreach (string file in _visible.Keys)
                if (ParentOf(file) == path) throw new IOException($"The directory '{path}' is not empty.");
            foreach (string file in _durable.Keys)
                if (ParentOf(file) == path) throw new IOException($"The directory '{path}' still holds a file durably (sync it first).");
            _directories.Remove(path);
            NoteMutation();
        }
    }

    public bool FileExists(string path)
    {
        path = Normalize(path);
        lock (Gate) return _visible.ContainsKey(path);
    }

    public IDeviceFile OpenFile(string path, DeviceOpenMode mode)
    {
        path = Normalize(path);
        lock (Gate)
        {
            if (IsRoot(path) || _directories.Contains(path)) throw new UnauthorizedAccessException($"Access to the path '{path}' is denied: it is a directory.");
            RequireParent(path);
            if (_visible.TryGetValue(path, out var node))
            {
                if (mode == DeviceOpenMode.CreateOrTruncate) node.SetLength(0);
            }
            else if (mode != DeviceOpenMode.CreateOrTruncate)
            {
                throw new FileNotFoundException($"Could not find file '{path}'.", path);
            }
            else
            {
                node = CreateNode(path);
            }
            var file = new SimulatedFile(this, node, path, Epoch);
            if (mode == DeviceOpenMode.CreateOrTruncate) NoteMutation();
            return file;
        }
    }

    public void DeleteFile(string path)
    {
        path = Normalize(path);
        lock (Gate)
        {
            if (!_visible.Remove(path, out var node)) return;
            _pendingEntries.Add(new EntryChange(EntryChangeKind.Delete, path, null, node));
            NoteMutation();
        }
    }

    public void RenameFile(string source, string destination)
    {
        source = Normalize(source);
        destination = Normalize(destination);
        lock (Gate)
        {
            if (!_visible.TryGetValue(source, out var node)) throw new FileNotFoundException($"Could not find file '{source}'.", source);
            if (IsRoot(destination) || _directories.Contains(destination)) throw new IOException($"Cannot rename onto '{destination}': it is a directory.");
            RequireParent(destination);
            if (source == destination) return;
            _visible.Remove(source);
            _visible[destination] = node;
            _pendingEntries.Add(new EntryChange(EntryChangeKind.Rename, source, destination, node));
            NoteMutation();
        }
    }

    /// <remarks>
    /// A rename between two directories is one atomic change: syncing either directory makes all of it durable (as a
    /// journaling file system commits it in one transaction).
    /// </remarks>
    public void SyncDirectory(string path)
    {
        path = Normalize(path);
        lock (Gate)
        {
            if (!IsRoot(path) && !_directories.Contains(path)) throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            _pendingEntries.RemoveAll(change =>
            {
                if (!change.Involves(path)) return false;
                change.Apply(_durable);
                return true;
            });
            NoteMutation();
        }
    }

    /// <remarks>
    /// Like <see cref="DirectoryLock"/>, it leaves an empty lock file in the directory. A second lock of the same path
    /// fails until the first is disposed or a crash or power failure releases it.
    /// </remarks>
    public IDisposable LockDirectory(string path)
    {
        path = Normalize(path);
        lock (Gate)
        {
            CreateDirectory(path);
            if (_locks.ContainsKey(path))
                throw new DataDirectoryLockedException($"The data directory '{path}' is in use by another store (lock file '{DirectoryLock.FileName}').");
            string lockFile = Path.Combine(path, DirectoryLock.FileName);
            if (!_visible.ContainsKey(lockFile)) CreateNode(lockFile);
            var token = new DirectoryLockToken(this, path, Epoch);
            _locks[path] = token;
            return token;
        }
    }

    /// <summary>
    /// The process dies (SIGKILL) but the machine stays up: the page cache survives, so the next opener sees every byte
    /// written and every entry created, renamed or deleted, flushed or not (and a later <see cref="PowerFail"/> can
    /// still lose what was not made durable). Every handle, lock and mapping from before is dead; locks are released.
    /// </summary>
    public void Crash()
    {
        lock (Gate)
        {
            foreach (var node in _visible.Values) node.Crash();
            foreach (var node in _durable.Values) node.Crash();
            EndEpoch("crash");
        }
    }

    /// <summary>
    /// The power is cut. By <paramref name="random"/>: each unsynced directory entry change (create, delete, rename) is
    /// kept or lost on its own, a rename atomically; each file's changes since its last flush are all dropped, all kept,
    /// a prefix kept, a prefix kept with its last write torn at a sector boundary, or a prefix kept with one earlier
    /// change missing (reordered). Then, as after <see cref="Crash"/>, every handle, lock and mapping from before is dead,
    /// and the next opener sees the durable state that results.
    /// </summary>
    /// <returns>What happened to each pending change, to print when a test fails.</returns>
    public IReadOnlyList<string> PowerFail(Random random) => PowerFail(random, worstCase: false);

    /// <summary>
    /// The worst power cut: every change not yet flushed or synced is lost (the outcome <see cref="PowerFail(Random)"/>
    /// draws only sometimes), for tests that must show what an unsynced byte costs.
    /// </summary>
    public IReadOnlyList<string> PowerFailLosingEverythingUnflushed() => PowerFail(new Random(0), worstCase: true);

    private IReadOnlyList<string> PowerFail(Random random, bool worstCase)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (Gate)
        {
            var report = new List<string>();
            foreach (var change in _pendingEntries)
            {
                bool kept = !worstCase && random.Next(2) == 0;
                if (kept) change.Apply(_durable);
                report.Add($"{(kept ? "kept" : "lost")} {change}");
            }
            _pendingEntries.Clear();
            var survivors = new List<KeyValuePair<string, SimulatedNode>>(_durable);
            survivors.Sort((a, b) => a.Value.Id.CompareTo(b.Value.Id));
            foreach (var (path, node) in survivors)
            {
                string? outcome = node.PowerFail(random, worstCase);
                if (outcome is not null) report.Add($"'{path}': {outcome}");
            }
            _visible.Clear();
            foreach (var (path, node) in _durable) _visible.Add(path, node);
            EndEpoch("power failure");
            return report;
        }
    }

    /// <summary>
    /// Evicts clean pages from the page cache: each file again shows its durable image plus its changes not yet flushed.
    /// Nothing changes for a well-behaved file; a misdirected write or the writes lost to a failed flush become visible.
    /// </summary>
    public void DropCaches()
    {
        lock (Gate)
        {
            foreach (var node in _visible.Values) node.DropCaches();
        }
    }

    internal void Unmap(SimulatedNode node, byte[] array, int epoch)
    {
        lock (Gate)
        {
            if (epoch == Epoch) node.Unmap(array);
        }
    }

    private SimulatedNode CreateNode(string path)
    {
        var node = new SimulatedNode(_nextNodeId++);
        _visible[path] = node;
        _pendingEntries.Add(new EntryChange(EntryChangeKind.Create, null, path, node));
        return node;
    }

    private void EndEpoch(string failure)
    {
        Epoch++;
        LastFailure = failure;
        _locks.Clear();
    }

    private void RequireParent(string path)
    {
        string? parent = ParentOf(path);
        if (parent is not null && !IsRoot(parent) && !_directories.Contains(parent))
            throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
    }

    private SimulatedNode VisibleNode(string path)
    {
        path = Normalize(path);
        return _visible.TryGetValue(path, out var node) ? node : throw new FileNotFoundException($"Could not find file '{path}'.", path);
    }

    private static string Normalize(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        while (true)
        {
            string trimmed = Path.TrimEndingDirectorySeparator(path);
            if (trimmed.Length == path.Length) return path;
            path = trimmed;
        }
    }

    private static string? ParentOf(string? path)
    {
        if (path is null) return null;
        string? parent = Path.GetDirectoryName(path);
        return string.IsNullOrEmpty(parent) ? null : parent;
    }

    private static bool IsRoot(string path) => Path.GetDirectoryName(path) is null;

    private enum EntryChangeKind
    {
        Create,
        Delete,
        Rename,
    }

    /// <summary>A directory entry change not yet made durable by a sync of its parent.</summary>
    private sealed record EntryChange(EntryChangeKind Kind, string? From, string? To, SimulatedNode Node)
    {
        public bool Involves(string directory) => ParentOf(From) == directory || ParentOf(To) == directory;

        /// <summary>Applies the change to the durable names; a file has one name (no hard links), which a rename moves.</summary>
        public void Apply(Dictionary<string, SimulatedNode> names)
        {
            if (Kind != EntryChangeKind.Create)
            {
                string? current = null;
                foreach (var (path, node) in names)
                {
                    if (ReferenceEquals(node, Node)) current = path;
                }
                if (current is not null) names.Remove(current);
            }
            if (To is not null) names[To] = Node;
        }

        public override string ToString() => Kind switch
        {
            EntryChangeKind.Create => $"create of '{To}'",
            EntryChangeKind.Delete => $"delete of '{From}'",
            _ => $"rename of '{From}' to '{To}'",
        };
    }

    private sealed class DirectoryLockToken(SimulatedDevice device, string path, int epoch) : IDisposable
    {
        /// <summary>Releases the lock; a lock from before a crash or power failure was released then, and this does nothing.</summary>
        public void Dispose()
        {
            lock (device.Gate)
            {
                if (epoch == device.Epoch && device._locks.TryGetValue(path, out var holder) && ReferenceEquals(holder, this))
                    device._locks.Remove(path);
            }
        }
    }
}
