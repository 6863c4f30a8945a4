using System.Diagnostics.CodeAnalysis;

namespace Pravega.Embedded;

/// <summary>
/// Reads a stream written with <see cref="ByteStreamWriter"/> as one sequence of bytes. Read-only and seekable; starts
/// at the head. <see cref="Stream.Length"/> is the current tail. A read waits for data and returns 0 only at the end
/// of a sealed stream. Seeking anywhere is allowed; reading at a position before <see cref="HeadOffset"/> throws
/// <see cref="TruncatedDataException"/>. Created by <see cref="IStreamStore.CreateByteStreamReader"/>.
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Name fixed by the public API contract (API.md).")]
public sealed class ByteStreamReader : Stream
{
    private const string NotImplemented = "Byte streams are not implemented yet (issue: byte streams).";

    private bool _disposed;

    internal ByteStreamReader()
    {
    }

    /// <summary>True until disposed.</summary>
    public override bool CanRead => !_disposed;

    /// <summary>True until disposed: any position may be sought.</summary>
    public override bool CanSeek => !_disposed;

    /// <summary>False: the reader is read-only.</summary>
    public override bool CanWrite => false;

    /// <summary>The first readable offset; it moves forward with truncation.</summary>
    public long HeadOffset => NotImplementedYet<long>(NotImplemented);

    /// <summary>The current tail: the offset after the last byte written.</summary>
    public override long Length => NotImplementedYet<long>(NotImplemented);

    /// <summary>The offset of the next byte read; may be set anywhere.</summary>
    public override long Position
    {
        get => NotImplementedYet<long>(NotImplemented);
        set => NotImplementedYet(NotImplemented);
    }

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override int Read(byte[] buffer, int offset, int count) => NotImplementedYet<int>(NotImplemented);

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override int Read(Span<byte> buffer) => NotImplementedYet<int>(NotImplemented);

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        NotImplementedYet<Task<int>>(NotImplemented);

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        NotImplementedYet<ValueTask<int>>(NotImplemented);

    /// <summary>Moves the read position; any offset is allowed (reads report truncated or missing data).</summary>
    /// <param name="offset">The offset relative to <paramref name="origin"/>.</param>
    /// <param name="origin">Where <paramref name="offset"/> counts from (<see cref="SeekOrigin.End"/>: the current tail).</param>
    /// <returns>The new position.</returns>
    public override long Seek(long offset, SeekOrigin origin) => NotImplementedYet<long>(NotImplemented);

    /// <summary>Does nothing: the reader has nothing to flush.</summary>
    public override void Flush()
    {
    }

    /// <summary>Not supported: the reader is read-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => NotImplementedYet(NotImplemented);

    /// <summary>Not supported: the reader is read-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Write(byte[] buffer, int offset, int count) => NotImplementedYet(NotImplemented);

    /// <summary>Releases the reader; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="disposing">True when called from <see cref="Stream.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private void NotImplementedYet(string message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowHelper.ThrowNotSupported(message);
    }

    private TResult NotImplementedYet<TResult>(string message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ThrowHelper.ThrowNotSupported<TResult>(message);
    }
}
