using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Pravega.Embedded.Client.Internal;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded;

/// <summary>
/// Writes a stream as one sequence of bytes (large data: video, files), appending at its tail. Write-only and not
/// seekable. Written bytes are buffered in pooled memory and appended to the log in large chunks; they become visible
/// and durable together on <see cref="Flush"/>/<see cref="FlushAsync(CancellationToken)"/>, which return only then (in
/// every Tier-1 mirror). A crash loses at most what was written after the last completed flush, and the stream then
/// ends exactly where some flush was called: never inside the bytes between two flushes. Bytes written without a flush
/// for longer than a quarter of <see cref="StreamStoreOptions.Tier1MaxBytes"/> (at most 64 MiB) are flushed there, so
/// that Tier-1 can stay within its bound. The stream must exist with <c>ScalingPolicy.Fixed(1)</c>
/// (<see cref="InvalidOperationException"/> otherwise, at the first call that writes); writes after
/// <see cref="SealAsync"/> throw <see cref="StreamSealedException"/>. Calls from several threads are serialized.
/// Disposing flushes. Created by <see cref="IStreamStore.CreateByteStreamWriter"/>.
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Name fixed by the public API contract (API.md).")]
public sealed class ByteStreamWriter : Stream
{
    /// <summary>The chunk in which buffered bytes go to the log (fewer when a record cannot hold as many).</summary>
    private const int ChunkSize = 1 << 20;

    /// <summary>A flush unit is flushed when it reaches this size at most (else a quarter of the Tier-1 bound).</summary>
    private const long MaxUnitBytes = 64L << 20;

    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _streamName;
    private readonly SemaphoreSlim _gate = new(1, 1); // one call at a time; a Stream's callers expect no more
    private readonly int _chunkSize;
    private readonly long _unitLimit;
    private StreamState? _stream;
    private Segment? _segment;
    private byte[]? _buffer;
    private int _buffered;
    private TransactionState? _unit; // the open flush unit (null: nothing appended since the last flush)
    private long _unitBytes;
    private long _lastLsn; // the last record this writer appended: once it is durable, all it appended is
    private bool _disposed;

    internal ByteStreamWriter(StoreRuntime runtime, string scope, string stream)
    {
        _runtime = runtime;
        _scope = scope;
        _streamName = stream;
        var log = runtime.Container.Log;
        _chunkSize = Math.Min(ChunkSize, runtime.Container.MaxUnitChunkSize);
        _unitLimit = Math.Max(_chunkSize, Math.Min(MaxUnitBytes, log.MaxBytes / 4));
    }

    private SegmentContainer Container => _runtime.Container;

    /// <summary>False: the writer is write-only.</summary>
    public override bool CanRead => false;

    /// <summary>False: the writer appends at the tail only.</summary>
    public override bool CanSeek => false;

    /// <summary>True until disposed.</summary>
    public override bool CanWrite => !_disposed;

    /// <summary>Not supported: the writer is not seekable (a reader's <see cref="ByteStreamReader.Length"/> is the tail).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Length => throw new NotSupportedException("A byte stream writer is not seekable; a reader's Length is the stream's tail.");

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Position
    {
        get => throw new NotSupportedException("A byte stream writer is not seekable.");
        set => throw new NotSupportedException("A byte stream writer is not seekable.");
    }

    /// <summary>
    /// Removes the stream's bytes before <paramref name="offset"/>; readers then see it as their <see cref="ByteStreamReader.HeadOffset"/>.
    /// An offset at or below the current head changes nothing.
    /// </summary>
    /// <param name="offset">The new first readable offset, at most the stream's durable tail.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the truncation is durable.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative or beyond the durable tail.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public async Task TruncateDataBeforeAsync(long offset, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var segment = Resolve();
            long tail = segment.DurableLength;
            if (offset > tail)
                throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The stream's durable tail is {tail}: bytes after it cannot be truncated.");
            var cut = new StreamCut(_scope, _streamName, new Dictionary<long, long> { [segment.SegmentId] = offset });
            await _runtime.Controller.TruncateStreamAsync(_scope, _streamName, cut, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Flushes and seals the stream: readers then reach its end, and later writes throw <see cref="StreamSealedException"/>.</summary>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the stream is sealed, durably.</returns>
    public async Task SealAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Resolve();
            await FlushCoreAsync(ct).ConfigureAwait(false);
            await _runtime.Controller.SealStreamAsync(_scope, _streamName, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Returns when every byte written so far is durable in every mirror and readable.</summary>
    public override void Flush()
    {
        _gate.Wait();
        try
        {
            if (_stream is null && _buffered == 0) return; // nothing was ever written
            Resolve();
            long lsn = Commit(synchronous: true, CancellationToken.None);
            // A Stream's synchronous Flush has to block; it waits for the log as FlushAsync awaits it.
            Container.Log.WhenDurableAsync(lsn, CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Completes when every byte written so far is durable in every mirror and readable.</summary>
    /// <param name="cancellationToken">Cancels the wait (the bytes are flushed all the same).</param>
    /// <returns>A task that completes when earlier writes are durable.</returns>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stream is null && _buffered == 0) return;
            Resolve();
            await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Number of bytes.</param>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _gate.Wait();
        try
        {
            Resolve();
            ThrowIfSealed();
            while (!buffer.IsEmpty)
            {
                buffer = Buffer(buffer);
                if (_buffered == _chunkSize) AppendBuffered(synchronous: true, CancellationToken.None);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends a byte at the tail (durable on the next flush).</summary>
    /// <param name="value">The byte.</param>
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Start in <paramref name="buffer"/>.</param>
    /// <param name="count">Number of bytes.</param>
    /// <param name="cancellationToken">Cancels a wait for room in the log.</param>
    /// <returns>A task that completes when the bytes are accepted.</returns>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Appends bytes at the tail (durable on the next flush).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels a wait for room in the log.</param>
    /// <returns>A task that completes when the bytes are accepted.</returns>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Resolve();
            ThrowIfSealed();
            while (!buffer.IsEmpty)
            {
                int before = buffer.Length;
                buffer = buffer[(before - Buffer(buffer.Span).Length)..];
                if (_buffered == _chunkSize)
                {
                    await RoomAsync(cancellationToken).ConfigureAwait(false);
                    AppendBuffered(synchronous: false, cancellationToken);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Not supported: the writer is write-only.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A byte stream writer is write-only.");

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A byte stream writer is not seekable.");

    /// <summary>Not supported: the writer is not seekable.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException("A byte stream writer is not seekable.");

    /// <summary>Flushes what was written (unless the store is disposed: then it is lost), then releases the writer; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="disposing">True when called from <see cref="Stream.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            try
            {
                if (!_runtime.IsDisposed && (_buffered > 0 || _unit is not null)) Flush();
            }
            finally
            {
                Release();
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>Flushes what was written (unless the store is disposed: then it is lost), then releases the writer.</summary>
    /// <returns>A task that completes when the writer is released.</returns>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            try
            {
                if (!_runtime.IsDisposed && (_buffered > 0 || _unit is not null)) await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Release();
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Release()
    {
        _disposed = true;
        if (_buffer is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        _buffer = null;
        _buffered = 0;
    }

    /// <summary>Copies as much of <paramref name="bytes"/> as fits into the chunk buffer; returns the rest (gate held).</summary>
    private ReadOnlySpan<byte> Buffer(ReadOnlySpan<byte> bytes)
    {
        var buffer = _buffer ??= ArrayPool<byte>.Shared.Rent(_chunkSize);
        int n = Math.Min(bytes.Length, _chunkSize - _buffered);
        bytes[..n].CopyTo(buffer.AsSpan(_buffered));
        _buffered += n;
        return bytes[n..];
    }

    /// <summary>Waits until the log takes more bytes (it does at once unless too many wait for the disk).</summary>
    private ValueTask RoomAsync(CancellationToken ct) => Container.Log.WaitForCapacityAsync(ct);

    /// <summary>
    /// Appends the buffered bytes to the open flush unit (beginning one if none is open), and flushes the unit when it
    /// reached its limit (gate held). Returns the LSN whose durability makes everything appended so far durable.
    /// </summary>
    private long AppendBuffered(bool synchronous, CancellationToken ct)
    {
        if (_buffered == 0) return _lastLsn;
        if (synchronous)
        {
            // A Stream's synchronous Write has to block when the log is full; FlushAsync and WriteAsync await instead.
            var room = RoomAsync(ct);
            if (!room.IsCompletedSuccessfully) room.AsTask().GetAwaiter().GetResult();
        }
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            try
            {
                _unit ??= Container.BeginTransaction(_stream!.Id, _runtime.NewIds(), writerId: null, Timeout.InfiniteTimeSpan, byteUnit: true);
                _lastLsn = Container.AppendToByteUnit(_unit, _buffer.AsSpan(0, _buffered));
            }
            catch (TransactionFailedException) when (_unit?.AbortReason == AbortReason.StreamSealed)
            {
                _unit = null;
                _buffered = 0;
                throw Sealed();
            }
            _unitBytes += _buffered;
            _buffered = 0;
            if (_unitBytes >= _unitLimit) CommitUnit();
        }
        return _lastLsn;
    }

    /// <summary>Appends what is buffered, commits the open unit, and waits until all is durable (gate held).</summary>
    private async Task FlushCoreAsync(CancellationToken ct)
    {
        if (_buffered > 0) await RoomAsync(ct).ConfigureAwait(false);
        long lsn = Commit(synchronous: false, ct);
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends what is buffered and commits the open unit (gate held). Returns the LSN whose durability makes every byte
    /// written so far durable and readable.
    /// </summary>
    private long Commit(bool synchronous, CancellationToken ct)
    {
        long lsn = AppendBuffered(synchronous, ct);
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            if (_unit is not null) lsn = CommitUnit();
        }
        return lsn;
    }

    /// <summary>
    /// Commits the open unit (container lock held): one record places its chunks at the segment's end, visible when it is
    /// durable. Returns its LSN.
    /// </summary>
    private long CommitUnit()
    {
        var unit = _unit!;
        _unit = null;
        _unitBytes = 0;
        try
        {
            var segment = _segment!;
            _lastLsn = Container.CommitTransaction(unit, _ => new TransactionTarget(segment, KeyRange.Full));
            return _lastLsn;
        }
        catch (TransactionFailedException) when (unit.AbortReason == AbortReason.StreamSealed)
        {
            throw Sealed();
        }
        catch (InvalidOperationException)
        {
            Container.AbortTransaction(unit, AbortReason.Requested); // its segment took events meanwhile: the unit's bytes go
            throw;
        }
    }

    private StreamSealedException Sealed() =>
        new($"Stream {_scope}/{_streamName} is sealed; bytes written to it after its last flush were not kept.");

    /// <summary>The stream's one segment (gate held), found and checked at the first call (<see cref="ByteStreamSegment"/>).</summary>
    private Segment Resolve()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
        if (_segment is null) (_stream, _segment) = ByteStreamSegment.Resolve(_runtime, _scope, _streamName);
        return _segment;
    }

    /// <summary>Refuses bytes for a sealed stream (gate held; the append itself is refused too if a seal gets there first).</summary>
    private void ThrowIfSealed()
    {
        if (_stream!.IsSealed) throw Sealed();
    }
}
