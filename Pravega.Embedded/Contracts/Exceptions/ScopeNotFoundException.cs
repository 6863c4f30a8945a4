namespace Pravega.Embedded;

/// <summary>
/// The named scope does not exist. Reported wherever a scope is named, before any check of a stream,
/// reader group or table inside it (the bool-returning `Delete*Async` methods return false instead).
/// </summary>
public sealed class ScopeNotFoundException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ScopeNotFoundException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public ScopeNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public ScopeNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
