namespace Pravega.Embedded;

/// <summary>
/// The store cannot open because its durable state is unrecoverable: for some record no Tier-1 mirror holds a
/// copy whose checksum holds (or Tier-2 misses data the metadata refers to). Nothing was repaired or changed.
/// </summary>
public sealed class StorageCorruptedException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StorageCorruptedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public StorageCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public StorageCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
