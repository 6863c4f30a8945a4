using System.Diagnostics.CodeAnalysis;

namespace Pravega.Embedded;

/// <summary>
/// Writes a stream as one sequence of bytes (large data: video, files), appending at its tail. Write-only and not
/// seekable. Written bytes become durable on <see cref="Flush"/>/<see cref="FlushAsync(CancellationToken)"/>, which
/// return only then. The stream must have <c>ScalingPolicy.Fixed(1)</c> (<see cref="InvalidOperationException"/>
/// otherwise); writes after <see cref="SealAsync"/> throw <see cref="StreamSealedException"/>.
/// Created by <see cref="IStreamStore.CreateByteStreamWriter"/>.
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Name fixed by the public API contract (API.md).")]
public sealed class ByteStreamWriter : Stream
{
    private const string NotImplemented = "Byte streams are not implemented yet (issue: byte streams).";

    private bool _disposed;

    internal ByteStreamWriter()
    {
    }

    /// <summary>False: the writer is write-only.</summary>
    public override bool CanRead => false;

    /// <summary>False: the writer appends at the tail only.</summary>
    public override bool CanSeek => false;

    /// <summary>True until disposed.</summary>
    public override bool CanWrite => !_disposed;

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Length => NotImplementedYet<long>(NotImplemented);

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Position
    {
        get => NotImplementedYet<long>(NotImplemented);
        set => NotImplementedYet(NotImplemented);
    }

    /// <summary>Removes the stream's bytes before <paramref name="offset"/>; readers then see it as their head.</summary>
    /// <param name="offset">The new first readable offset.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the truncation is durable.</returns>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public Task TruncateDataBeforeAsync(long offset, CancellationToken ct = default) =>
        NotImplementedYet<Task>(NotImplemented);

    /// <summary>Flushes and seals the stream: readers then reach its end, and later writes throw <see cref="StreamSealedException"/>.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the stream is sealed.</returns>
    public Task SealAsync(CancellationToken ct = default) => NotImplementedYet<Task>(NotImplemented);

    /// <summary>Returns when every byte written so far is durable.</summary>
    public override void Flush() => NotImplementedYet(NotImplemented);

    /// <summary>Completes when every byte written so far is durable.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when earlier writes are durable.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken) => NotImplementedYet<Task>(NotImplemented);

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Number of bytes.</param>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public override void Write(byte[] buffer, int offset, int count) => NotImplementedYet(NotImplemented);

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public override void Write(ReadOnlySpan<byte> buffer) => NotImplementedYet(NotImplemented);

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Number of bytes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the bytes are accepted.</returns>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        NotImplementedYet<Task>(NotImplemented);

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the bytes are accepted.</returns>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        NotImplementedYet<ValueTask>(NotImplemented);

    /// <summary>Not supported: the writer is write-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override int Read(byte[] buffer, int offset, int count) => NotImplementedYet<int>(NotImplemented);

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Seek(long offset, SeekOrigin origin) => NotImplementedYet<long>(NotImplemented);

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => NotImplementedYet(NotImplemented);

    /// <summary>Releases the writer (without flushing: call <see cref="Flush"/> first); later calls throw <see cref="ObjectDisposedException"/>.</summary>
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
