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
}
