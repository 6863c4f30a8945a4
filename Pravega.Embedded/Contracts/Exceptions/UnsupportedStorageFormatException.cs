namespace Pravega.Embedded;

/// <summary>
/// The store's files were written in an on-disk format this version does not read (an older format, or one of a newer
/// version of the library). Opening refused and left every file as it was; there is no migration between formats.
/// </summary>
public sealed class UnsupportedStorageFormatException : PravegaException
{
    /// <summary>Creates an exception with a default message.</summary>
    public UnsupportedStorageFormatException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong.</param>
    public UnsupportedStorageFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the failure that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public UnsupportedStorageFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the file and the versions.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="path">The file whose format is not supported.</param>
    /// <param name="foundVersion">The format version the file declares.</param>
    /// <param name="supportedVersion">The format version this library reads and writes.</param>
    public UnsupportedStorageFormatException(string message, string path, int foundVersion, int supportedVersion)
        : base(message)
    {
        Path = path;
        FoundVersion = foundVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>The file whose format is not supported; null if unknown.</summary>
    public string? Path { get; }

    /// <summary>The format version the file declares (0 if unknown).</summary>
    public int FoundVersion { get; }

    /// <summary>The format version this library reads and writes (0 if unknown).</summary>
    public int SupportedVersion { get; }
}
