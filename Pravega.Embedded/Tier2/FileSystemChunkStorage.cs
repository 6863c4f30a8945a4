using System.Runtime.CompilerServices;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tier2;

/// <summary>
/// Chunks as files under a root directory (<see cref="StreamStoreOptions.Tier2Directory"/>), through an
/// <see cref="IStorageDevice"/> (tests: the simulated device with power failures): a chunk named <c>a/b/c</c> is the
/// file <c>root/a/b/c</c>. Creating a chunk creates its directories durably and syncs the directory that holds the new
/// entry; deleting one syncs it too and removes directories left empty. The calls do their I/O on the calling thread
/// (the tierer's own), and complete synchronously. At most <see cref="MaxWriteHandles"/> chunks are kept open for
/// appends (least recently used closed first: a sync through a later handle still makes every appended byte durable).
/// </summary>
internal sealed class FileSystemChunkStorage : IChunkStorage
{
    private readonly IStorageDevice _device;
    private readonly string _root;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, LinkedListNode<(string Name, IDeviceFile File)>> _writing = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Name, IDeviceFile File)> _recent = new(); // write handles, most recently used first
    private readonly HashSet<string> _sealed = new(StringComparer.Ordinal);
    private readonly Lock _readSync = new(); // apart from _sync, which appends and syncs hold: reads never wait behind an fsync
    private readonly Dictionary<string, LinkedListNode<ReadHandle>> _reading = new(StringComparer.Ordinal);
    private readonly LinkedList<ReadHandle> _recentReads = new(); // read handles, most recently used first
    private volatile bool _disposed;

    /// <summary>Chunks kept open for appends at once (a store tiering many segments must not hold a descriptor per chunk).</summary>
    public const int MaxWriteHandles = 64;

    /// <summary>Chunks kept open for reads at once (a lookup in a table index file must not open and close it each time).</summary>
    public const int MaxReadHandles = 64;

    public FileSystemChunkStorage(IStorageDevice device, string root)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(root);
        _device = device;
        _root = root;
        device.CreateDirectory(root);
    }

    public ValueTask CreateAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string path = PathOf(name);
        string parent = Path.GetDirectoryName(path)!;
        lock (_sync)
        {
            ThrowIfDisposed();
            _device.CreateDirectory(parent);
            if (_device.FileExists(path)) throw new ChunkExistsException(name);
            var file = _device.OpenFile(path, DeviceOpenMode.CreateOrTruncate);
            try
            {
                _device.SyncDirectory(parent);
            }
            catch
            {
                file.Dispose();
                throw;
            }
            Remember(name, file);
            _sealed.Remove(name);
        }
        return default;
    }

    public ValueTask AppendAsync(string name, long offset, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Append(name, offset, data.Span);
        return default;
    }

    public ValueTask SyncAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IDeviceFile? file;
        lock (_sync)
        {
            ThrowIfDisposed();
            file = _writing.TryGetValue(name, out var node) ? node.Value.File : null;
            if (file is not null)
            {
                file.Flush(); // under the lock: the handle is not closed meanwhile
                return default;
            }
        }
        using var opened = OpenExisting(name);
        opened.Flush();
        return default;
    }

    public ValueTask SealAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string path = PathOf(name);
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!Forget(name) && !_device.FileExists(path)) throw new ChunkNotFoundException(name);
            _sealed.Add(name);
        }
        return default;
    }

    public ValueTask<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var handle = AcquireReader(name);
        try
        {
            return new ValueTask<int>(handle.File.Read(destination.Span, offset)); // short only at the end (IDeviceFile.Read)
        }
        finally
        {
            lock (_readSync)
            {
                if (--handle.Users == 0 && handle.Closed) handle.File.Dispose();
            }
        }
    }

    public ValueTask<long?> GetLengthAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string path = PathOf(name);
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_writing.TryGetValue(name, out var node)) return new ValueTask<long?>(node.Value.File.Length);
            if (!_device.FileExists(path)) return new ValueTask<long?>((long?)null);
        }
        try
        {
            using var opened = _device.OpenFile(path, DeviceOpenMode.OpenExisting);
            return new ValueTask<long?>(opened.Length);
        }
        catch (FileNotFoundException)
        {
            return new ValueTask<long?>((long?)null); // deleted meanwhile
        }
    }

    public ValueTask DeleteAsync(string name, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string path = PathOf(name);
        lock (_sync)
        {
            ThrowIfDisposed();
            Forget(name);
            _sealed.Remove(name);
            lock (_readSync)
            {
                if (_reading.TryGetValue(name, out var reader)) CloseReader(reader);
            }
            if (!_device.FileExists(path)) return default;
            string parent = Path.GetDirectoryName(path)!;
            _device.DeleteFile(path);
            _device.SyncDirectory(parent);
            RemoveEmptyDirectories(parent);
        }
        return default;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        var names = new List<string>();
        lock (_sync)
        {
            ThrowIfDisposed();
            string start = prefix.Length == 0 ? _root : PathOf(prefix);
            Collect(start, prefix, names);
        }
        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            ct.ThrowIfCancellationRequested();
            yield return name;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            if (_disposed) return default;
            _disposed = true;
            foreach (var (_, file) in _recent) file.Dispose();
            _writing.Clear();
            _recent.Clear();
            lock (_readSync)
            {
                while (_recentReads.First is { } reader) CloseReader(reader);
            }
        }
        return default;
    }

    private void Collect(string directory, string name, List<string> names)
    {
        foreach (string file in _device.ListFiles(directory))
            if (file != DirectoryLock.FileName || name.Length > 0) names.Add(name.Length == 0 ? file : name + "/" + file);
        foreach (string sub in _device.ListDirectories(directory))
            Collect(Path.Combine(directory, sub), name.Length == 0 ? sub : name + "/" + sub, names);
    }

    /// <summary>Removes <paramref name="directory"/> and its parents up to the root while they are empty.</summary>
    private void RemoveEmptyDirectories(string directory)
    {
        string root = Path.TrimEndingDirectorySeparator(_root);
        while (directory.Length > root.Length && directory.StartsWith(root, StringComparison.Ordinal)
               && _device.ListFiles(directory).Count == 0 && _device.ListDirectories(directory).Count == 0)
        {
            _device.DeleteDirectory(directory);
            directory = Path.GetDirectoryName(directory)!;
        }
    }

    /// <summary>
    /// Appends under the lock (so the handle is not closed meanwhile), through the chunk's write handle, opened and
    /// remembered if it is not open.
    /// </summary>
    private void Append(string name, long offset, ReadOnlySpan<byte> data)
    {
        string path = PathOf(name);
        lock (_sync)
        {
            ThrowIfDisposed();
            if (_sealed.Contains(name)) throw new InvalidOperationException($"The chunk '{name}' is sealed: it takes no more appends.");
            IDeviceFile file;
            if (_writing.TryGetValue(name, out var node))
            {
                file = node.Value.File;
                _recent.Remove(node);
                _recent.AddFirst(node);
            }
            else
            {
                if (!_device.FileExists(path)) throw new ChunkNotFoundException(name);
                file = _device.OpenFile(path, DeviceOpenMode.OpenExisting);
                Remember(name, file);
            }
            long length = file.Length;
            if (offset != length)
                throw new InvalidOperationException($"An append to chunk '{name}' must start at its length {length}, not at {offset}.");
            file.Write(data, offset);
        }
    }

    /// <summary>Keeps a write handle (lock held), closing the least recently used beyond <see cref="MaxWriteHandles"/>.</summary>
    private void Remember(string name, IDeviceFile file)
    {
        _writing[name] = _recent.AddFirst((name, file));
        while (_recent.Count > MaxWriteHandles && _recent.Last is { } oldest)
        {
            _recent.RemoveLast();
            _writing.Remove(oldest.Value.Name);
            oldest.Value.File.Dispose();
        }
    }

    /// <summary>Closes the chunk's write handle if it has one (lock held).</summary>
    private bool Forget(string name)
    {
        if (!_writing.Remove(name, out var node)) return false;
        _recent.Remove(node);
        node.Value.File.Dispose();
        return true;
    }

    /// <summary>The chunk's read handle, opened and remembered if it is not open, held for one read (release: Users).</summary>
    private ReadHandle AcquireReader(string name)
    {
        lock (_readSync)
        {
            ThrowIfDisposed();
            if (_reading.TryGetValue(name, out var node))
            {
                _recentReads.Remove(node);
                _recentReads.AddFirst(node);
            }
            else
            {
                node = _recentReads.AddFirst(new ReadHandle(name, OpenExisting(name, DeviceOpenMode.ReadSequential))); // readers mostly go front to back
                _reading[name] = node;
                while (_recentReads.Count > MaxReadHandles && _recentReads.Last is { } oldest) CloseReader(oldest);
            }
            node.Value.Users++;
            return node.Value;
        }
    }

    /// <summary>Forgets a read handle (read lock held); it is closed now, or by its last read.</summary>
    private void CloseReader(LinkedListNode<ReadHandle> node)
    {
        _recentReads.Remove(node);
        _reading.Remove(node.Value.Name);
        node.Value.Closed = true;
        if (node.Value.Users == 0) node.Value.File.Dispose();
    }

    /// <summary>An open read handle and the reads using it.</summary>
    private sealed class ReadHandle(string name, IDeviceFile file)
    {
        public IDeviceFile File { get; } = file;

        public string Name { get; } = name;

        public int Users { get; set; }

        public bool Closed { get; set; }
    }

    private IDeviceFile OpenExisting(string name, DeviceOpenMode mode = DeviceOpenMode.OpenExisting)
    {
        string path = PathOf(name);
        ThrowIfDisposed(); // no lock: reads do not wait behind an append or a sync, which hold it
        try
        {
            return _device.OpenFile(path, mode);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) // its directory goes with its last chunk
        {
            throw new ChunkNotFoundException(name);
        }
    }

    private string PathOf(string name)
    {
        ChunkNames.Validate(name);
        return Path.Combine(_root, name);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
