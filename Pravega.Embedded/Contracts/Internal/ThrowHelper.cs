using System.Diagnostics.CodeAnalysis;

namespace Pravega.Embedded;

/// <summary>
/// Throw sites kept out of line so that the methods calling them stay small enough to inline.
/// Every method here never returns.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentNull(string paramName) => throw new ArgumentNullException(paramName);

    [DoesNotReturn]
    public static void ThrowArgument(string message, string? paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static T ThrowArgument<T>(string message, string? paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowObjectDisposed(string? objectName) => throw new ObjectDisposedException(objectName);

    [DoesNotReturn]
    public static void ThrowNotSupported(string message) => throw new NotSupportedException(message);

    [DoesNotReturn]
    public static T ThrowNotSupported<T>(string message) => throw new NotSupportedException(message);

    /// <summary>A base64 token (stream cut, position, event pointer) could not be decoded.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidToken(string tokenKind, string paramName, string detail) =>
        throw new ArgumentException($"The text is not a valid {tokenKind} token ({detail}).", paramName);

    /// <summary>
    /// The one message for a read below a segment's start offset (reader, batch client, FetchEventAsync), so that
    /// every path names the offset asked for and where the segment starts now.
    /// </summary>
    public static TruncatedDataException Truncated(SegmentKey segment, long offset, long startOffset, string? then = null) =>
        new($"Offset {offset} of segment {segment} was truncated: the segment starts at {startOffset}.{then}");
}
