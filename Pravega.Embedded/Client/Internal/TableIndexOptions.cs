namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// When a key-value table partition's index merges and compacts (docs/DESIGN.md, "Key-value tables"); internal, so that
/// tests can make both happen with little data.
/// </summary>
internal sealed record TableIndexOptions
{
    /// <summary>The delta's estimated memory (key bytes plus about 96 bytes per key) that starts a merge.</summary>
    public long DeltaBudgetBytes { get; init; } = 8L << 20;

    /// <summary>Partition bytes after the run's offset that start a merge (bounds what an open reads).</summary>
    public long UncoveredBudgetBytes { get; init; } = 32L << 20;

    /// <summary>Compaction runs once the bytes before the run's offset are at least this many and less than half live.</summary>
    public long CompactionMinBytes { get; init; } = 4L << 20;

    /// <summary>The bytes one compaction pass reads from the partition's head.</summary>
    public long CompactionWindowBytes { get; init; } = 16L << 20;
}
