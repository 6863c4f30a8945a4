namespace Pravega.Embedded;

/// <summary>
/// The store cannot open because its durable state is unrecoverable or inconsistent: for some record no Tier-1 mirror
/// holds a copy whose checksum holds while later records exist, mirrors hold different records for one position with
/// no majority, a mirror belongs to another store, or a file's header cannot be read in any mirror (or Tier-2 misses
/// data the metadata refers to). Opening refused before anything was repaired or changed, so every file is as it was.
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

    /// <summary>Creates an exception that says where the damage is.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="directory">The mirror directory concerned, or null if every mirror is.</param>
    /// <param name="fileName">The file concerned (name within the directory), or null.</param>
    /// <param name="offset">The byte offset within the file, or null.</param>
    /// <param name="lsn">The log sequence number of the record concerned, or null if unknown.</param>
    public StorageCorruptedException(string message, string? directory, string? fileName, long? offset, long? lsn)
        : base(message)
    {
        Directory = directory;
        FileName = fileName;
        Offset = offset;
        Lsn = lsn;
    }

    /// <summary>The mirror directory concerned; null when every mirror is (or unknown).</summary>
    public string? Directory { get; }

    /// <summary>The file concerned, as a name within its directory; null if unknown.</summary>
    public string? FileName { get; }

    /// <summary>The byte offset within <see cref="FileName"/> where the damage was found; null if unknown.</summary>
    public long? Offset { get; }

    /// <summary>The log sequence number of the record concerned; null if unknown.</summary>
    public long? Lsn { get; }
}
