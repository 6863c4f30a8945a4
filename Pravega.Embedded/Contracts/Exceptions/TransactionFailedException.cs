namespace Pravega.Embedded;

/// <summary>
/// A transaction cannot be used as requested: writing to or committing an aborted or timed-out transaction,
/// aborting a committed one, or looking up an unknown (or finished and forgotten) transaction id.
/// </summary>
public sealed class TransactionFailedException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public TransactionFailedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public TransactionFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public TransactionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
