using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.SegmentStore;

/// <summary>Log messages of the segment store layer (event ids 2000-2099).</summary>
internal static partial class SegmentStoreLog
{
    [LoggerMessage(2000, LogLevel.Debug, "Checkpoint at LSN {Lsn} written ({Records} records); {Dropped} WAL files dropped, first needed file {FirstNeeded}")]
    public static partial void CheckpointWritten(ILogger logger, long lsn, int records, int dropped, long firstNeeded);

    [LoggerMessage(2001, LogLevel.Warning, "A checkpoint failed; the WAL keeps its files until a later one succeeds")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(2002, LogLevel.Information, "Restored the checkpoint at LSN {Lsn} ({Records} records)")]
    public static partial void CheckpointRestored(ILogger logger, long lsn, int records);

    [LoggerMessage(2003, LogLevel.Information, "Transaction {TransactionId} aborted: no write, flush or commit for {Timeout}")]
    public static partial void TransactionTimedOut(ILogger logger, Guid transactionId, TimeSpan timeout);

    [LoggerMessage(2004, LogLevel.Error, "Transaction {TransactionId} timed out, but its abort could not be written (the log failed); it is open again at the next open, with a fresh timeout")]
    public static partial void TransactionTimeoutFailed(ILogger logger, Guid transactionId, Exception exception);
}
