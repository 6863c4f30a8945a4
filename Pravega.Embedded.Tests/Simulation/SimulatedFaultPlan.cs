namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Random faults a <see cref="SimulatedDevice"/> draws by itself, from its own seeded <see cref="Random"/>, on each
/// operation of a file the plan <see cref="Applies"/> to. Each rate is a probability per operation; all default to 0.
/// </summary>
internal sealed record SimulatedFaultPlan
{
    /// <summary>Which files (by path) the plan touches; every file when null.</summary>
    public Func<string, bool>? Applies { get; init; }

    /// <summary>A flush fails with EIO (as <see cref="SimulatedDevice.FailFlush"/>).</summary>
    public double FlushFailure { get; init; }

    /// <summary>A read finds a bad sector in its range, which stays bad until rewritten (as <see cref="SimulatedDevice.FailReads"/>).</summary>
    public double ReadFailure { get; init; }

    /// <summary>A write lands elsewhere on the disk (as <see cref="SimulatedDevice.MisdirectNextWrite"/>).</summary>
    public double MisdirectedWrite { get; init; }

    /// <summary>An allocation fails with ENOSPC (as <see cref="SimulatedDevice.FailAllocate"/>).</summary>
    public double AllocateFailure { get; init; }
}
