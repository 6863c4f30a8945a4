using System.Collections.Concurrent;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// Read mappings of log files, opened on first use and kept for at most <c>capacity</c> sealed files (least recently
/// used first out) plus the file being written, so mappings stay bounded however long the log grows; a mapped file
/// holds no descriptor. A read of a mapped file takes no lock (a dictionary lookup and a reference count).
/// A mapping is unmapped only when no <see cref="WalReadLease"/> uses it any more.
/// </summary>
internal sealed class WalReadCache : IDisposable
{
    private readonly IStorageDevice _device;
    private readonly string _directory;
    private readonly int _capacity;
    private readonly object _sync = new(); // opening and evicting; reads of a mapped file take no lock
    private readonly ConcurrentDictionary<long, MappedWalFile> _open = new();
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
    public int MappedCount => _open.Count;

    /// <summary>The sequence numbers of the files of the log (known and not removed), oldest first.</summary>
    public IReadOnlyList<long> Sequences
    {
        get
        {
            var sequences = _sizes.Keys.ToList();
            sequences.Sort();
            return sequences;
        }
    }

    /// <summary>The size of a known file (0 if unknown).</summary>
    public int SizeOf(long sequence) => _sizes.TryGetValue(sequence, out int size) ? size : 0;

    /// <summary>Makes a file known (its size comes from its header, through recovery or the file's creation).</summary>
    public void Add(long sequence, int size) => _sizes[sequence] = size;

    /// <summary>
    /// Forgets a file that leaves the log: a later read of it fails; its mapping goes when its last lease is disposed
    /// (a reader in the middle of a read finishes it, on the unlinked file's pages).
    /// </summary>
    /// <returns>Whether no mapping of the file is left (none was made, or the last lease is gone): its bytes may change.</returns>
    public bool Remove(long sequence)
    {
        lock (_sync)
        {
            _sizes.TryRemove(sequence, out _);
            if (!_open.TryRemove(sequence, out var file)) return true;
            file.Release();
            return file.IsReleased;
        }
    }

    /// <summary>The file being written: mapped now and never evicted until another file becomes active.</summary>
    public void SetActive(long sequence)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Volatile.Write(ref _active, GetOrOpen(sequence));
        }
    }

    /// <summary>The bytes at <paramref name="address"/>, valid until the lease is disposed.</summary>
    /// <exception cref="WalFileDroppedException">The file left the log (<see cref="Remove"/>).</exception>
    public WalReadLease Read(LogAddress address, int length)
    {
        // A file evicted meanwhile refuses the reference once its last lease is gone; it is then mapped again.
        if (!_open.TryGetValue(address.FileSequence, out var file) || !file.TryAcquire())
        {
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                file = GetOrOpen(address.FileSequence);
                if (!file.TryAcquire()) throw new InvalidOperationException("A cached WAL mapping was released while cached."); // the cache holds a reference
            }
        }
        file.LastUsed = Environment.TickCount64;
        file.Mapping.PrefetchAhead(address.Position, length);
        return new WalReadLease(file, address.Position, length);
    }

    /// <summary>The mapped file (caller holds the lock), mapping it and evicting the least recently used ones if needed.</summary>
    private MappedWalFile GetOrOpen(long sequence)
    {
        if (_open.TryGetValue(sequence, out var file)) return file;
        if (!_sizes.TryGetValue(sequence, out int size)) throw new WalFileDroppedException(sequence);
        file = MappedWalFile.Open(_device, Path.Combine(_directory, WalFormat.FileName(sequence)), sequence, size);
        file.LastUsed = Environment.TickCount64;
        _open[sequence] = file;
        while (_open.Count > _capacity + 1)
        {
            MappedWalFile? victim = null;
            foreach (var candidate in _open.Values)
                if (!ReferenceEquals(candidate, _active) && !ReferenceEquals(candidate, file) && (victim is null || candidate.LastUsed < victim.LastUsed))
                    victim = candidate;
            if (victim is null) break;
            _open.TryRemove(victim.Sequence, out _);
            victim.Release(); // unmapped now, or when its last reader is done
        }
        return file;
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            _active = null;
            foreach (var file in _open.Values) file.Release();
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

    /// <summary>When a read last used it (<see cref="Environment.TickCount64"/>): eviction takes the oldest.</summary>
    public long LastUsed
    {
        get => Volatile.Read(ref _lastUsed);
        set => Volatile.Write(ref _lastUsed, value);
    }

    private long _lastUsed;

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

    /// <summary>Unmapped for good: no reference is left.</summary>
    public bool IsReleased => Volatile.Read(ref _references) == 0;

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
