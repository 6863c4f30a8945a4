namespace Pravega.Embedded;

/// <summary>
/// The reader can no longer be used: it was put offline by its group (<see cref="IReaderGroup.ReaderOfflineAsync"/>)
/// or its group was reset. Dispose it and create a new reader; its unread segments were handed back to the group.
/// </summary>
public sealed class ReinitializationRequiredException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ReinitializationRequiredException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public ReinitializationRequiredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public ReinitializationRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
