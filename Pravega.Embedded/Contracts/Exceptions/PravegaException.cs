namespace Pravega.Embedded;

/// <summary>
/// Base type of every failure that is specific to Pravega's model (missing scope or stream, sealed stream,
/// truncated data, failed transaction, ...). Misuse of the API is reported with BCL exceptions instead
/// (<see cref="ArgumentException"/>, <see cref="InvalidOperationException"/>, <see cref="ObjectDisposedException"/>),
/// so that callers can catch this type to handle every store-level condition at once.
/// </summary>
public class PravegaException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public PravegaException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public PravegaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public PravegaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
