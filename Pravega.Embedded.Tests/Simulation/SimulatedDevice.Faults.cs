namespace Pravega.Embedded.Tests.Simulation;

/// <summary>Fault injection: what a test arms explicitly, and what a <see cref="SimulatedFaultPlan"/> draws.</summary>
internal sealed partial class SimulatedDevice
{
    private readonly List<ArmedFault> _flushFaults = [];
    private readonly List<ArmedFault> _allocateFaults = [];
    private readonly List<ArmedFault> _misdirectedWrites = [];
    private SimulatedFaultPlan? _faultPlan;

    /// <summary>Random faults drawn on each operation from the device's seeded <see cref="Random"/>; none when null.</summary>
    public SimulatedFaultPlan? FaultPlan
    {
        get
        {
            lock (Gate) return _faultPlan;
        }
        set
        {
            lock (Gate) _faultPlan = value;
        }
    }

    /// <summary>
    /// The next <paramref name="times"/> flushes of files whose path matches fail with an <see cref="IOException"/>
    /// (EIO). As on Linux, the writeback of each change pending at that flush happened or not (drawn from the device's
    /// seed) and the pages are marked clean anyway: reads and mappings keep showing the bytes, no later flush makes them
    /// durable, and a power failure (or <see cref="DropCaches"/>) shows whether they reached the disk.
    /// </summary>
    public void FailFlush(Func<string, bool> match, int times = 1) => Arm(_flushFaults, match, times, shift: 0);

    /// <summary>The next <paramref name="times"/> allocations of files whose path matches fail with ENOSPC (HResult 28).</summary>
    public void FailAllocate(Func<string, bool> match, int times = 1) => Arm(_allocateFaults, match, times, shift: 0);

    /// <summary>
    /// The next write to a file whose path matches lands on the disk <paramref name="sectorShift"/> sectors away from
    /// where it was meant to (a nonzero shift; drawn from the device's seed when null, never before the file's start).
    /// The page cache shows it where it was meant to go; the durable image gets it at the wrong place (and keeps the old
    /// bytes at the right one), which a power failure or <see cref="DropCaches"/> reveals.
    /// </summary>
    public void MisdirectNextWrite(Func<string, bool> match, int? sectorShift = null)
    {
        if (sectorShift == 0) throw new ArgumentOutOfRangeException(nameof(sectorShift), "A misdirected write lands elsewhere: the shift is not zero.");
        Arm(_misdirectedWrites, match, 1, sectorShift);
    }

    /// <summary>
    /// Makes <c>[offset, offset + length)</c> of the file at <paramref name="path"/> unreadable: a
    /// <see cref="Tier1.IDeviceFile.Read"/> that touches it throws an <see cref="IOException"/> (EIO). The range stays
    /// bad across crashes and power failures until a single write covers all of it (a drive remaps a sector on write).
    /// Mappings are not affected: they show the bytes (a real mapping would SIGBUS, which no test survives).
    /// </summary>
    public void FailReads(string path, long offset, long length)
    {
        lock (Gate) VisibleNode(path).FailReads(offset, length);
    }

    /// <summary>Removes the bad ranges of the file at <paramref name="path"/>.</summary>
    public void ClearReadFaults(string path)
    {
        lock (Gate) VisibleNode(path).ClearReadFaults();
    }

    /// <summary>
    /// Flips 1 to 8 bytes (drawn from the device's seed) of the sector holding <paramref name="offset"/> in the file at
    /// <paramref name="path"/>, in both its durable image and its page cache (a mapping sees it at once).
    /// </summary>
    /// <returns>The offsets of the flipped bytes.</returns>
    public IReadOnlyList<long> CorruptSector(string path, long offset)
    {
        lock (Gate) return VisibleNode(path).CorruptSector(offset, _random);
    }

    /// <summary>Disarms every armed fault and the fault plan; bad read ranges stay (see <see cref="ClearReadFaults"/>).</summary>
    public void ClearFaults()
    {
        lock (Gate)
        {
            _flushFaults.Clear();
            _allocateFaults.Clear();
            _misdirectedWrites.Clear();
            _faultPlan = null;
        }
    }

    internal bool ShouldFailFlush(SimulatedFile file) =>
        TryConsume(_flushFaults, file.Path, out _) || Draws(file.Path, _faultPlan?.FlushFailure);

    internal void FailFlush(SimulatedNode node) => node.FailFlush(_random);

    internal bool ShouldFailAllocate(SimulatedFile file) =>
        TryConsume(_allocateFaults, file.Path, out _) || Draws(file.Path, _faultPlan?.AllocateFailure);

    /// <summary>Where on the disk a write at <paramref name="offset"/> lands: there, unless it is misdirected.</summary>
    internal long DurableOffsetOfWrite(SimulatedFile file, long offset, int length)
    {
        if (length == 0) return offset;
        int? shift;
        if (TryConsume(_misdirectedWrites, file.Path, out var armed)) shift = armed.Shift;
        else if (Draws(file.Path, _faultPlan?.MisdirectedWrite)) shift = null;
        else return offset;
        long sectors = shift ?? (_random.Next(1, 17) * (_random.Next(2) == 0 ? 1 : -1));
        if (shift is null && offset + (sectors * SectorSize) < 0) sectors = -sectors;
        long target = offset + (sectors * SectorSize);
        if (target < 0) throw new ArgumentOutOfRangeException(nameof(offset), $"A write at {offset} cannot be misdirected {sectors} sectors, before the file's start.");
        return target;
    }

    /// <summary>Under a fault plan, a read may find a new bad sector in its range first.</summary>
    internal void BeforeRead(SimulatedFile file, long offset, int length)
    {
        long end = Math.Min(offset + length, file.Node.VolatileLength);
        if (offset < 0 || offset >= end || !Draws(file.Path, _faultPlan?.ReadFailure)) return;
        long sector = (offset + _random.NextInt64(end - offset)) / SectorSize * SectorSize;
        file.Node.FailReads(sector, SectorSize);
    }

    private bool Draws(string path, double? rate) =>
        rate > 0 && (_faultPlan!.Applies?.Invoke(path) ?? true) && _random.NextDouble() < rate;

    private void Arm(List<ArmedFault> faults, Func<string, bool> match, int times, int? shift)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (Gate) faults.Add(new ArmedFault(match, shift) { Remaining = times });
    }

    private static bool TryConsume(List<ArmedFault> faults, string path, out ArmedFault fault)
    {
        for (int i = 0; i < faults.Count; i++)
        {
            fault = faults[i];
            if (!fault.Match(path)) continue;
            if (--fault.Remaining == 0) faults.RemoveAt(i);
            return true;
        }
        fault = null!;
        return false;
    }

    private sealed record ArmedFault(Func<string, bool> Match, int? Shift)
    {
        public int Remaining { get; set; }
    }
}
