namespace Pravega.Embedded;

/// <summary>
/// A data directory is already in use by another open store, in this process or in another one. Each store takes
/// an exclusive lock on its directories for its whole lifetime and releases it when disposed.
/// </summary>
public sealed class DataDirectoryLockedException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public DataDirectoryLockedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public DataDirectoryLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public DataDirectoryLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
