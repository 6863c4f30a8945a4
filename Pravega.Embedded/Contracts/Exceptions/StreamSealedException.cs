namespace Pravega.Embedded;

/// <summary>
/// The stream is sealed: writes, truncation, configuration updates and scaling are no longer allowed.
/// Data already written stays readable.
/// </summary>
public sealed class StreamSealedException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StreamSealedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public StreamSealedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public StreamSealedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
