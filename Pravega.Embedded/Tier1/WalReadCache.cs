using System.Collections.Concurrent;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// Read mappings of log files, opened on first use and kept for at most <c>capacity</c> sealed files (least recently
/// used first out) plus the file being written, so mappings stay bounded however long the log grows; a mapped file
/// holds no descriptor.
/// A mapping is unmapped only when no <see cref="WalReadLease"/> uses it any more.
/// </summary>
internal sealed class WalReadCache : IDisposable
{
    private readonly IStorageDevice _device;
    private readonly string _directory;
    private readonly int _capacity;
    private readonly object _sync = new();
    private readonly Dictionary<long, LinkedListNode<MappedWalFile>> _open = [];
    private readonly LinkedList<MappedWalFile> _recent = new(); // most recently used first
    private readonly ConcurrentDictionary<long, int> _sizes = new();
    private MappedWalFile? _active;
    private bool _disposed;

    /// <summary>Reads go to the copies in <paramref name="directory"/> (all mirrors are identical once acknowledged).</summary>
    public WalReadCache(IStorageDevice device, string directory, int capacity)
    {
        _device = device;
        _directory = directory;
        _capacity = capacity;
    }

    /// <summary>How many files are mapped now (tests).</summary>
    public int MappedCount
    {
        get
        {
            lock (_sync) return _open.Count;
        }
    }

    /// <summary>Makes a file known (its size comes from its header, through recovery or the file's creation).</summary>
    public void Add(long sequence, int size) => _sizes[sequence] = size;

    /// <summary>The file being written: mapped now and never evicted until another file becomes active.</summary>
    public void SetActive(long sequence)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _active = Get(sequence).Value;
        }
    }

    /// <summary>The bytes at <paramref name="address"/>, valid until the lease is disposed.</summary>
    public WalReadLease Read(LogAddress address, int length)
    {
        var active = Volatile.Read(ref _active);
        MappedWalFile file;
        if (active is not null && active.Sequence == address.FileSequence && active.TryAcquire())
        {
            file = active;
        }
        else
        {
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var node = Get(address.FileSequence);
                _recent.Remove(node);
                _recent.AddFirst(node);
                file = node.Value;
                if (!file.TryAcquire()) throw new InvalidOperationException("A cached WAL mapping was released while cached."); // the cache holds a reference
            }
        }
        file.Mapping.PrefetchAhead(address.Position, length);
        return new WalReadLease(file, address.Position, length);
    }

    private LinkedListNode<MappedWalFile> Get(long sequence)
    {
        if (_open.TryGetValue(sequence, out var node)) return node;
        if (!_sizes.TryGetValue(sequence, out int size)) throw new InvalidOperationException($"WAL file {sequence} is not part of the log.");
        var file = MappedWalFile.Open(_device, Path.Combine(_directory, WalFormat.FileName(sequence)), sequence, size);
        node = _recent.AddFirst(file);
        _open.Add(sequence, node);
        for (var victim = _recent.Last; _open.Count > _capacity + 1 && victim is not null;)
        {
            var previous = victim.Previous;
            if (!ReferenceEquals(victim.Value, _active) && victim != node)
            {
                _recent.Remove(victim);
                _open.Remove(victim.Value.Sequence);
                victim.Value.Release(); // unmapped now, or when its last reader is done
            }
            victim = previous;
        }
        return node;
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            _active = null;
            foreach (var file in _recent) file.Release();
            _recent.Clear();
            _open.Clear();
        }
    }
}

/// <summary>
/// One mapped log file, reference-counted: the cache holds one reference, each lease another. It holds no file
/// descriptor: the handle is closed as soon as the file is mapped.
/// </summary>
internal sealed class MappedWalFile
{
    private int _references = 1;

    private MappedWalFile(long sequence, DeviceMapping mapping)
    {
        Sequence = sequence;
        Mapping = mapping;
    }

    public long Sequence { get; }

    public DeviceMapping Mapping { get; }

    public static MappedWalFile Open(IStorageDevice device, string path, long sequence, int size)
    {
        using var handle = device.OpenFile(path, DeviceOpenMode.OpenExisting);
        return new MappedWalFile(sequence, handle.Map(size));
    }

    /// <summary>Takes a reference unless the file was already released for good.</summary>
    public bool TryAcquire()
    {
        int current = Volatile.Read(ref _references);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current) return true;
            current = seen;
        }
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        ((IDisposable)Mapping).Dispose();
    }
}

/// <summary>Bytes of a log file held mapped until disposed (dispose exactly once).</summary>
internal readonly struct WalReadLease : IDisposable
{
    private readonly MappedWalFile? _file;
    private readonly int _position;
    private readonly int _length;

    public WalReadLease(MappedWalFile file, int position, int length)
    {
        _file = file;
        _position = position;
        _length = length;
    }

    public ReadOnlyMemory<byte> Memory => _file is null ? default : _file.Mapping.Memory.Slice(_position, _length);

    public void Dispose() => _file?.Release();
}
