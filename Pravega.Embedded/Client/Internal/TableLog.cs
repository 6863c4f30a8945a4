using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Client.Internal;

/// <summary>Log messages of key-value tables (event ids 5000-5099).</summary>
internal static partial class TableLog
{
    [LoggerMessage(5000, LogLevel.Error, "Key-value table {Stream}, partition {SegmentId}: merging or compacting its index failed; the index stays in memory until the next open")]
    public static partial void IndexWorkFailed(ILogger logger, string stream, long segmentId, Exception exception);

    [LoggerMessage(5001, LogLevel.Warning, "Key-value table index file {Name} is damaged or not this store's; the partition's index is rebuilt from its records")]
    public static partial void IndexFileIgnored(ILogger logger, string name);

    [LoggerMessage(5002, LogLevel.Information, "Deleted {Count} key-value table index files of partitions that no longer exist")]
    public static partial void IndexFilesSwept(ILogger logger, int count);

    [LoggerMessage(5003, LogLevel.Warning, "Sweeping the index files of deleted key-value tables failed; the next open tries again")]
    public static partial void IndexSweepFailed(ILogger logger, Exception exception);
}
