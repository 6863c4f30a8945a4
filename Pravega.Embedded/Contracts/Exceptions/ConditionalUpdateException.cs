namespace Pravega.Embedded;

/// <summary>
/// A conditional key-value table update was rejected: the key's current version differs from the expected one,
/// the key exists although it was required to be absent, or it is absent although it was required to exist.
/// Nothing of the rejected update (or batch) was applied.
/// </summary>
public sealed class ConditionalUpdateException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ConditionalUpdateException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public ConditionalUpdateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public ConditionalUpdateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
