using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Tier1;

/// <summary>Log messages of the Tier-1 layer (event ids 1000-1099).</summary>
internal static partial class Tier1Log
{
    [LoggerMessage(1000, LogLevel.Information,
        "WAL recovered: {Records} records, next LSN {NextLsn}, generation {Generation}; repaired {Repaired} ranges, rebuilt {Rebuilt} files, deleted {Deleted} files past the end")]
    public static partial void Recovered(ILogger logger, long records, long nextLsn, uint generation, int repaired, int rebuilt, int deleted);

    [LoggerMessage(1001, LogLevel.Debug, "WAL file {Sequence} activated (prepared ahead: {Ready})")]
    public static partial void FileActivated(ILogger logger, long sequence, bool ready);

    [LoggerMessage(1002, LogLevel.Critical, "WAL write failed; the log refuses further appends")]
    public static partial void WriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(1003, LogLevel.Debug, "WAL file {Sequence} dropped (kept as a spare to recycle: {Spare}): a checkpoint covers its records and it holds no live segment byte")]
    public static partial void FileDropped(ILogger logger, long sequence, bool spare);

    [LoggerMessage(1004, LogLevel.Debug, "WAL file {Sequence} is prepared from the spare of file {Spare}")]
    public static partial void FileRecycled(ILogger logger, long sequence, long spare);
}
