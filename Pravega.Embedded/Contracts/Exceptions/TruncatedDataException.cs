namespace Pravega.Embedded;

/// <summary>
/// The requested data was removed by truncation or by the stream's retention policy: the read position (or
/// the event pointed to) lies before the segment's current start offset.
/// </summary>
public sealed class TruncatedDataException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public TruncatedDataException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public TruncatedDataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public TruncatedDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
