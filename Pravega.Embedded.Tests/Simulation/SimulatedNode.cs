namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// One file of a <see cref="SimulatedDevice"/> (an inode: it outlives renames and an unlink while open). It keeps two
/// images: the volatile one (the page cache, what reads and mappings see) and the durable one (what the platters hold),
/// and between them the ordered changes written since the last flush, so that a power failure can decide their fate.
/// Every member is called under the device's lock.
/// </summary>
internal sealed class SimulatedNode
{
    private readonly List<PendingChange> _pending = [];
    private readonly List<(long Start, long End)> _badReads = [];
    private byte[] _volatile = [];
    private long _volatileLength;
    private byte[] _durable = [];
    private long _durableLength;
    private int _liveMappings;

    public SimulatedNode(long id) => Id = id;

    /// <summary>Creation order: the order in which a power failure draws this file's fate.</summary>
    public long Id { get; }

    public long VolatileLength => _volatileLength;

    public long DurableLength => _durableLength;

    public int PendingChanges => _pending.Count;

    /// <summary>Whether a flush of this file failed since it was last reset by a power failure.</summary>
    public bool FlushFailed { get; private set; }

    public int Read(Span<byte> destination, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= _volatileLength) return 0;
        int count = (int)Math.Min(destination.Length, _volatileLength - offset);
        foreach (var (start, end) in _badReads)
        {
            if (start < offset + count && offset < end)
                throw new IOException($"read of {count} bytes at {offset} failed (errno 5, simulated bad sector at [{start}, {end})).", EIOHResult);
        }
        _volatile.AsSpan((int)offset, count).CopyTo(destination);
        return count;
    }

    /// <summary>
    /// Writes into the page cache at <paramref name="offset"/>; the change reaches the durable image at
    /// <paramref name="durableOffset"/> (different only for a misdirected write).
    /// </summary>
    public void Write(ReadOnlySpan<byte> source, long offset, long durableOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (source.IsEmpty) return;
        long end = offset + source.Length;
        EnsureVolatileCapacity(end);
        source.CopyTo(_volatile.AsSpan((int)offset));
        _volatileLength = Math.Max(_volatileLength, end);
        _pending.Add(new PendingChange(offset, durableOffset, source.ToArray(), 0));
        // A drive remaps a bad sector when it is written, so a rewrite of the whole bad range reads fine again.
        long durableEnd = durableOffset + source.Length;
        _badReads.RemoveAll(r => durableOffset <= r.Start && r.End <= durableEnd);
    }

    /// <summary>Truncates or extends the file (zeros), as O_TRUNC or fallocate do; durable at the next flush.</summary>
    public void SetLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == _volatileLength) return;
        if (length > _volatileLength) EnsureVolatileCapacity(length);
        else Array.Clear(_volatile, (int)length, (int)(_volatileLength - length));
        _volatileLength = length;
        _pending.Add(new PendingChange(0, 0, null, length));
    }

    /// <summary>A successful fdatasync: every pending change reaches the durable image, in order.</summary>
    public void Flush()
    {
        foreach (var change in _pending) ApplyDurable(change, keep: long.MaxValue);
        _pending.Clear();
    }

    /// <summary>
    /// A failed fdatasync (EIO), with Linux's semantics: the writeback of each pending change either happened or not
    /// (by <paramref name="random"/>), and the pages are marked clean all the same, so no later flush writes them:
    /// the page cache keeps showing bytes the disk may never get.
    /// </summary>
    public void FailFlush(Random random)
    {
        foreach (var change in _pending)
        {
            if (random.Next(2) == 0) ApplyDurable(change, keep: long.MaxValue);
        }
        _pending.Clear();
        FlushFailed = true;
    }

    /// <summary>
    /// A power cut: by <paramref name="random"/> the pending changes are all dropped, all kept, a prefix kept, a prefix
    /// kept with its last write torn at a sector boundary, or a prefix kept with one earlier change missing (the disk
    /// reordered writes within the flush interval). The page cache is lost: the volatile image becomes the durable one.
    /// </summary>
    /// <returns>What happened, for a failure message; null when nothing was pending.</returns>
    public string? PowerFail(Random random, bool worstCase = false)
    {
        string? outcome = null;
        int n = _pending.Count;
        if (n > 0)
        {
            int choice = worstCase ? 0 : random.Next(5);
            if (choice == 4 && n < 2) choice = 2;
            switch (choice)
            {
                case 0:
                    outcome = $"dropped all {n} pending changes";
                    break;
                case 1:
                    ApplyPrefix(n);
                    outcome = $"kept all {n} pending changes";
                    break;
                case 2:
                {
                    int k = random.Next(n + 1);
                    ApplyPrefix(k);
                    outcome = $"kept the first {k} of {n} pending changes";
                    break;
                }
                case 3:
                {
                    int k = random.Next(1, n + 1);
                    ApplyPrefix(k - 1);
                    var torn = _pending[k - 1];
                    long kept = Tear(torn, random);
                    outcome = torn.Bytes is null
                        ? $"kept the first {k - 1} of {n} pending changes, {(kept > 0 ? "and" : "not")} the length change after them"
                        : $"kept the first {k - 1} of {n} pending changes and {kept} of the {torn.Bytes.Length} bytes of the next (torn at a sector boundary)";
                    break;
                }
                default:
                {
                    int k = random.Next(2, n + 1);
                    int hole = random.Next(k - 1);
                    for (int i = 0; i < k; i++)
                    {
                        if (i != hole) ApplyDurable(_pending[i], keep: long.MaxValue);
                    }
                    outcome = $"kept the first {k} of {n} pending changes except #{hole} (reordered)";
                    break;
                }
            }
        }
        _pending.Clear();
        _volatile = _durable.AsSpan(0, (int)_durableLength).ToArray();
        _volatileLength = _durableLength;
        _liveMappings = 0;
        FlushFailed = false;
        return outcome;
    }

    /// <summary>The process died: its mappings went with it.</summary>
    public void Crash() => _liveMappings = 0;

    /// <summary>
    /// Evicts clean pages (echo 1 &gt; drop_caches): the page cache again shows the durable image plus the changes not yet
    /// written back, which makes misdirected writes and writes lost to a failed flush visible without a power failure.
    /// </summary>
    public void DropCaches()
    {
        long length = _durableLength;
        byte[] image = _durable.AsSpan(0, (int)length).ToArray();
        foreach (var change in _pending)
        {
            if (change.Bytes is null)
            {
                if (change.NewLength < length) Array.Clear(image, (int)change.NewLength, (int)(length - change.NewLength));
                else if (change.NewLength > image.Length) Array.Resize(ref image, (int)change.NewLength);
                length = change.NewLength;
                continue;
            }
            long end = change.Offset + change.Bytes.Length;
            if (end > image.Length) Array.Resize(ref image, (int)end);
            change.Bytes.CopyTo(image, change.Offset);
            length = Math.Max(length, end);
        }
        if (_liveMappings > 0 && length > _volatile.Length)
            throw new InvalidOperationException($"dropping caches would grow the file to {length} bytes, beyond its live mapping of {_volatile.Length}.");
        if (_liveMappings > 0)
        {
            Array.Clear(_volatile);
            image.AsSpan(0, (int)length).CopyTo(_volatile);
        }
        else
        {
            _volatile = image;
        }
        _volatileLength = length;
    }

    /// <summary>
    /// The page-cache array behind a new mapping of <c>[0, length)</c>: writes go into the same array while the mapping
    /// lives, so it shows them at once, and they may not grow the file beyond it.
    /// </summary>
    public byte[] Map(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (length > _volatile.Length)
        {
            if (_liveMappings > 0)
                throw new InvalidOperationException($"a mapping of {length} bytes is larger than the live mapping of {_volatile.Length}; Allocate the full size before mapping.");
            Array.Resize(ref _volatile, length);
        }
        _liveMappings++;
        return _volatile;
    }

    public void Unmap(byte[] array)
    {
        if (ReferenceEquals(array, _volatile) && _liveMappings > 0) _liveMappings--;
    }

    public void FailReads(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _badReads.Add((offset, offset + length));
    }

    public void ClearReadFaults() => _badReads.Clear();

    /// <summary>Flips bytes of the sector holding <paramref name="offset"/> in both images (the same bytes, the same way).</summary>
    /// <returns>The offsets of the flipped bytes.</returns>
    public IReadOnlyList<long> CorruptSector(long offset, Random random)
    {
        long start = offset / SimulatedDevice.SectorSize * SimulatedDevice.SectorSize;
        long end = Math.Min(start + SimulatedDevice.SectorSize, Math.Max(_volatileLength, _durableLength));
        if (offset < 0 || start >= end) throw new ArgumentOutOfRangeException(nameof(offset), offset, "The sector is beyond the end of the file.");
        int count = random.Next(1, (int)Math.Min(8, end - start) + 1);
        var positions = new SortedSet<long>();
        while (positions.Count < count) positions.Add(start + random.Next((int)(end - start)));
        foreach (long position in positions)
        {
            byte mask = (byte)random.Next(1, 256);
            if (position < _volatileLength) _volatile[position] ^= mask;
            if (position < _durableLength) _durable[position] ^= mask;
        }
        return [.. positions];
    }

    public byte[] DurableImage() => _durable.AsSpan(0, (int)_durableLength).ToArray();

    public byte[] VolatileImage() => _volatile.AsSpan(0, (int)_volatileLength).ToArray();

    private void ApplyPrefix(int count)
    {
        for (int i = 0; i < count; i++) ApplyDurable(_pending[i], keep: long.MaxValue);
    }

    /// <summary>Applies a prefix of the sectors of a write (or a length change, or not); returns the bytes kept.</summary>
    private long Tear(PendingChange change, Random random)
    {
        if (change.Bytes is null)
        {
            if (random.Next(2) == 0) return 0;
            ApplyDurable(change, keep: long.MaxValue);
            return 1;
        }
        // A sector write is atomic: the write can stop only at a sector boundary strictly inside it.
        long start = change.DurableOffset;
        long end = start + change.Bytes.Length;
        long firstBoundary = (start / SimulatedDevice.SectorSize + 1) * SimulatedDevice.SectorSize;
        int boundaries = firstBoundary >= end ? 0 : (int)((end - 1 - firstBoundary) / SimulatedDevice.SectorSize) + 1;
        int chosen = random.Next(boundaries + 1);
        if (chosen == 0) return 0;
        long kept = firstBoundary + ((chosen - 1) * (long)SimulatedDevice.SectorSize) - start;
        ApplyDurable(change, kept);
        return kept;
    }

    private void ApplyDurable(PendingChange change, long keep)
    {
        if (change.Bytes is null)
        {
            long length = change.NewLength;
            if (length > _durable.Length) Array.Resize(ref _durable, (int)length);
            else if (length < _durableLength) Array.Clear(_durable, (int)length, (int)(_durableLength - length));
            _durableLength = length;
            return;
        }
        int count = (int)Math.Min(keep, change.Bytes.Length);
        long end = change.DurableOffset + count;
        if (end > _durable.Length) Array.Resize(ref _durable, (int)Math.Min(Array.MaxLength, Math.Max(end, _durable.Length * 2L)));
        change.Bytes.AsSpan(0, count).CopyTo(_durable.AsSpan((int)change.DurableOffset));
        _durableLength = Math.Max(_durableLength, end);
    }

    private void EnsureVolatileCapacity(long needed)
    {
        if (needed <= _volatile.Length) return;
        if (needed > Array.MaxLength) throw new IOException($"a simulated file cannot grow to {needed} bytes.");
        if (_liveMappings > 0)
            throw new InvalidOperationException(
                $"growing the file to {needed} bytes would move it away from its live mapping of {_volatile.Length} bytes; Allocate the full size before mapping.");
        Array.Resize(ref _volatile, (int)Math.Min(Array.MaxLength, Math.Max(needed, _volatile.Length * 2L)));
    }

    internal const int EIOHResult = 5;

    /// <summary>A write (<see cref="Bytes"/> at <see cref="DurableOffset"/> on the disk) or a length change (<see cref="NewLength"/>).</summary>
    private sealed record PendingChange(long Offset, long DurableOffset, byte[]? Bytes, long NewLength);
}
