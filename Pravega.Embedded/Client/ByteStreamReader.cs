using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Pravega.Embedded.Client.Internal;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded;

/// <summary>
/// Reads a stream written with <see cref="ByteStreamWriter"/> as one sequence of bytes. Read-only and seekable; starts
/// at the head. <see cref="Stream.Length"/> is the current tail: the bytes flushed so far (a reader never sees a byte a
/// crash could take back). A read waits for data and returns 0 only at the end of a sealed stream. Seeking anywhere is
/// allowed; reading at a position before <see cref="HeadOffset"/> throws <see cref="TruncatedDataException"/>. Bytes are
/// copied once, from where they lie (the log's mapped files, or a Tier-2 block in the read cache) into the caller's
/// memory. Calls from several threads are serialized. Created by <see cref="IStreamStore.CreateByteStreamReader"/>; the
/// stream must exist with <c>ScalingPolicy.Fixed(1)</c> (<see cref="InvalidOperationException"/> otherwise, at the first
/// call that needs it).
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Name fixed by the public API contract (API.md).")]
public sealed class ByteStreamReader : Stream
{
    /// <summary><see cref="CopyToAsync(Stream, int, CancellationToken)"/> moves at least this much per read.</summary>
    private const int CopyBufferSize = 1 << 20;

    /// <summary>A read of tiered bytes at least this large goes straight from the chunks into the caller's memory.</summary>
    private const int DirectReadSize = 256 << 10;

    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _streamName;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Segment? _segment;
    private long _position = -1; // -1: at the head, wherever it is when first asked
    private TierBlock? _block; // the Tier-2 block read last
    private bool _disposed;

    internal ByteStreamReader(StoreRuntime runtime, string scope, string stream)
    {
        _runtime = runtime;
        _scope = scope;
        _streamName = stream;
    }

    /// <summary>True until disposed.</summary>
    public override bool CanRead => !_disposed;

    /// <summary>True until disposed: any position may be sought.</summary>
    public override bool CanSeek => !_disposed;

    /// <summary>False: the reader is read-only.</summary>
    public override bool CanWrite => false;

    /// <summary>The first readable offset; it moves forward with truncation.</summary>
    public long HeadOffset => Resolve().StartOffset;

    /// <summary>The current tail: the offset after the last byte flushed.</summary>
    public override long Length => Resolve().DurableLength;

    /// <summary>The offset of the next byte read; may be set anywhere at or above 0 (reads report truncated or missing data).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative offset.</exception>
    public override long Position
    {
        get
        {
            var segment = Resolve();
            return _position < 0 ? segment.StartOffset : _position;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Resolve();
            _position = value;
        }
    }

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override int Read(Span<byte> buffer)
    {
        _gate.Wait();
        try
        {
            while (true)
            {
                // A Stream's synchronous Read has to block while it waits for data or a Tier-2 block; ReadAsync awaits.
                switch (TryRead(buffer, out int read, out var data))
                {
                    case Next.Done:
                        return read;
                    case Next.InTier2:
                        _block = _runtime.Reader.LoadAsync(_segment!, _position, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        break;
                    default:
                        data!.GetAwaiter().GetResult();
                        break;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Most bytes to read.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Reads at least one byte, waiting for data; 0 only at the end of a sealed stream.</summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read.</returns>
    /// <exception cref="TruncatedDataException">The position is before <see cref="HeadOffset"/>.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                switch (TryRead(buffer.Span, out int read, out var data))
                {
                    case Next.Done:
                        return read;
                    case Next.InTier2 when buffer.Length >= DirectReadSize:
                        // A large read of tiered bytes goes straight from the chunks into the caller's memory.
                        int direct = await _runtime.Reader.ReadTieredAsync(_segment!, _position, buffer, cancellationToken).ConfigureAwait(false);
                        if (direct > 0)
                        {
                            _position += direct;
                            return direct;
                        }
                        break; // not readable there any more: look again
                    case Next.InTier2:
                        _block = await _runtime.Reader.LoadAsync(_segment!, _position, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        await data!.WaitAsync(cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Copies the stream from the position to the end of the sealed stream (waiting at the tail until then) into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="bufferSize">The least number of bytes moved per read (at least 1 MiB are).</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes at the end of the sealed stream.</returns>
    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ValidateCopyToArguments(destination, bufferSize);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, CopyBufferSize));
        try
        {
            int read;
            while ((read = await ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Moves the read position; any offset at or above 0 is allowed (reads report truncated or missing data).</summary>
    /// <param name="offset">The offset relative to <paramref name="origin"/>.</param>
    /// <param name="origin">Where <paramref name="offset"/> counts from (<see cref="SeekOrigin.End"/>: the current tail).</param>
    /// <returns>The new position.</returns>
    /// <exception cref="IOException">The new position would be before offset 0.</exception>
    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentException($"Unknown seek origin {origin}.", nameof(origin)),
        };
        if (target < 0) throw new IOException($"Cannot seek to offset {target}: a byte stream starts at offset 0.");
        _position = target;
        return target;
    }

    /// <summary>Does nothing: the reader has nothing to flush.</summary>
    public override void Flush()
    {
    }

    /// <summary>Not supported: the reader is read-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException("A byte stream reader is read-only.");

    /// <summary>Not supported: the reader is read-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A byte stream reader is read-only.");

    /// <summary>Releases the reader; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="disposing">True when called from <see cref="Stream.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _block = null;
        base.Dispose(disposing);
    }

    /// <summary>What a read does after <see cref="TryRead"/>.</summary>
    private enum Next
    {
        /// <summary>Return the count (bytes read, or 0 at the end of a sealed stream).</summary>
        Done,

        /// <summary>The bytes at the position are in Tier-2 only: load them, then try again.</summary>
        InTier2,

        /// <summary>Nothing at the position yet: wait for the data signal, then try again.</summary>
        WaitForData,
    }

    /// <summary>
    /// Reads what is readable now at the position into <paramref name="buffer"/> (gate held), and says what comes next;
    /// for <see cref="Next.WaitForData"/>, <paramref name="data"/> completes when there may be more.
    /// </summary>
    private Next TryRead(Span<byte> buffer, out int total, out Task? data)
    {
        var segment = Resolve();
        total = 0;
        data = null;
        if (buffer.IsEmpty) return Next.Done;
        if (_position < 0) _position = segment.StartOffset;
        var signal = segment.Signal.NextAsync; // taken before looking: data published after the look wakes it
        while (total < buffer.Length)
        {
            var read = _runtime.Reader.ReadBytes(segment, _position, buffer[total..], _block);
            switch (read.Status)
            {
                case SegmentReadStatus.Event:
                    _position += read.Count;
                    total += read.Count;
                    continue;
                case SegmentReadStatus.Truncated when total == 0:
                    throw ThrowHelper.Truncated(new SegmentKey(_scope, _streamName, segment.SegmentId), _position, read.StartOffset);
                case SegmentReadStatus.InTier2 when total == 0:
                    return Next.InTier2;
                case SegmentReadStatus.NotYetAvailable when total == 0:
                    if (segment.IsDeleted) throw new StreamNotFoundException($"Stream {_scope}/{_streamName} was deleted.");
                    _runtime.ThrowIfDisposed();
                    data = Task.WhenAny(signal, _runtime.Closing.NextAsync);
                    return Next.WaitForData;
                default:
                    return Next.Done; // the end of a sealed stream, or bytes read and what follows is for the next call
            }
        }
        return Next.Done;
    }

    /// <summary>The stream's one segment, found and checked at the first call (<see cref="ByteStreamSegment"/>).</summary>
    private Segment Resolve()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
        return _segment ??= ByteStreamSegment.Resolve(_runtime, _scope, _streamName).Segment;
    }
}
