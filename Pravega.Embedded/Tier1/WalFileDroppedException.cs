namespace Pravega.Embedded.Tier1;

/// <summary>
/// A read of a WAL file that left the log (a checkpoint dropped it because no live byte remained in it): the reader
/// looked the bytes up just before a truncation made them unreachable, and reports them as truncated.
/// </summary>
internal sealed class WalFileDroppedException(long sequence)
    : InvalidOperationException($"WAL file {sequence} is no longer part of the log: a checkpoint dropped it after its bytes were truncated.")
{
    /// <summary>The file's sequence number.</summary>
    public long Sequence { get; } = sequence;
}
