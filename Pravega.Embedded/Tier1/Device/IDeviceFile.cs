namespace Pravega.Embedded.Tier1;

/// <summary>
/// An open file of an <see cref="IStorageDevice"/>: positional reads and writes, fdatasync, real pre-allocation and
/// a read-only mapping. Safe for concurrent calls on distinct ranges (as pread/pwrite are).
/// </summary>
internal interface IDeviceFile : IDisposable
{
    /// <summary>The path the file was opened with.</summary>
    string Path { get; }

    /// <summary>The file's current length in bytes (including bytes not yet flushed).</summary>
    long Length { get; }

    /// <summary>
    /// Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; returns how many were read (fewer only
    /// at the end of the file).
    /// </summary>
    /// <exception cref="IOException">The device could not read the range (EIO: a bad sector).</exception>
    int Read(Span<byte> destination, long offset);

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/>, extending the file if needed; not durable until <see cref="Flush"/>.</summary>
    void Write(ReadOnlySpan<byte> source, long offset);

    /// <summary>
    /// Makes every byte written so far durable (fdatasync). After an <see cref="IOException"/> the state of unflushed
    /// bytes is unknown and a later flush proves nothing: callers fail stop.
    /// </summary>
    void Flush();

    /// <summary>
    /// Reserves real blocks for <c>[0, length)</c> (fallocate), extending the file to at least that length, so that a
    /// full disk fails here and never in the middle of later writes.
    /// </summary>
    /// <exception cref="IOException">There is no room (ENOSPC) or the device failed.</exception>
    void Allocate(long length);

    /// <summary>
    /// A read-only view of <c>[0, length)</c> that shows later writes to the file at once (a shared mapping of the page
    /// cache). Disposing the view releases it; the file stays open. The view stays valid after the file is disposed.
    /// </summary>
    DeviceMapping Map(int length);
}
