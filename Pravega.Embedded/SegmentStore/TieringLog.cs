using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.SegmentStore;

/// <summary>The tierer's log messages.</summary>
internal static partial class TieringLog
{
    [LoggerMessage(4000, LogLevel.Debug, "Tiered {Prefix} [{From}, {To})")]
    public static partial void PassWritten(ILogger logger, string prefix, long from, long to);

    [LoggerMessage(4001, LogLevel.Error, "Tiering of {Prefix} failed; its data stays in Tier-1 until the store is reopened")]
    public static partial void PassFailed(ILogger logger, string prefix, Exception exception);

    [LoggerMessage(4002, LogLevel.Error, "A tiering round failed; it is tried again at the next signal")]
    public static partial void RoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(4003, LogLevel.Information, "Removed {Count} Tier-2 chunks no committed manifest refers to")]
    public static partial void OrphansRemoved(ILogger logger, int count);

    [LoggerMessage(4004, LogLevel.Debug, "Deleted the Tier-2 data of {Prefix} ({Count} chunks)")]
    public static partial void SegmentDataDeleted(ILogger logger, string prefix, int count);

    [LoggerMessage(4005, LogLevel.Debug, "Staged events {First}-{Last} of transaction {Transaction} in Tier-2 ({Bytes} bytes)")]
    public static partial void TransactionStaged(ILogger logger, Guid transaction, int first, int last, int bytes);

    [LoggerMessage(4006, LogLevel.Error, "Staging of transaction {Transaction} failed; its events stay in Tier-1 until it finishes or the store is reopened")]
    public static partial void StagingFailed(ILogger logger, Guid transaction, Exception exception);
}
