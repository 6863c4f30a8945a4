using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Controller;

/// <summary>Log messages of the controller layer (event ids 3000-3099).</summary>
internal static partial class ControllerLog
{
    [LoggerMessage(3000, LogLevel.Error, "Retention pass failed; the next one runs at the next interval")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(3001, LogLevel.Debug, "Retention truncated {Streams} stream(s)")]
    public static partial void RetentionTruncated(ILogger logger, int streams);

    [LoggerMessage(3002, LogLevel.Debug, "Retention checks every {Interval}")]
    public static partial void RetentionStarted(ILogger logger, TimeSpan interval);

    [LoggerMessage(3003, LogLevel.Information, "Auto-scaler splits segment {SegmentId} of {Stream} into {Parts}: its rate {Rate:F1} is above the target {Target}")]
    public static partial void AutoScaleSplit(ILogger logger, string stream, long segmentId, int parts, double rate, double target);

    [LoggerMessage(3004, LogLevel.Information, "Auto-scaler merges segments {First} and {Second} of {Stream}: together {Rate:F1}, well below the target {Target}")]
    public static partial void AutoScaleMerge(ILogger logger, string stream, long first, long second, double rate, double target);

    [LoggerMessage(3005, LogLevel.Error, "Auto-scaler check failed; the next one runs at the next interval")]
    public static partial void AutoScaleFailed(ILogger logger, Exception exception);

    [LoggerMessage(3006, LogLevel.Debug, "Writer {WriterId} stopped noting times on {Stream}: its timeout passed, it holds the watermarks back no more")]
    public static partial void WatermarkWriterTimedOut(ILogger logger, string writerId, string stream);
}
