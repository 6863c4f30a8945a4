namespace Pravega.Embedded;

/// <summary>
/// The named reader group does not exist in its (existing) scope, or was deleted while in use.
/// </summary>
public sealed class ReaderGroupNotFoundException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ReaderGroupNotFoundException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public ReaderGroupNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public ReaderGroupNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
