using System.Buffers;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// An event writer. Each write is serialized, routed by its key and appended to the container's log in call order
/// (the writer lock), then acknowledged when durable in every mirror. All of a writer's appends go through the
/// one ordered log, so its durability is prefix-closed across segments.
/// </summary>
internal sealed class EventStreamWriter<T> : IEventStreamWriter<T>
{
    /// <summary>Largest serialized event, as in Pravega: 8 MiB.</summary>
    public const int MaxEventSize = 8 * 1024 * 1024;

    private static readonly Task<WriteResult> WrittenTask = Task.FromResult(WriteResult.Written);
    private static readonly Task<WriteResult> DuplicateTask = Task.FromResult(WriteResult.Duplicate);

    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _stream;
    private readonly ISerializer<T> _serializer;
    private readonly object _writeLock = new();
    private readonly object _ackLock = new();
    private readonly AppendQueue _queue;
    private ArrayBufferWriter<byte> _buffer = new(256);
    private StreamState? _state;
    private long _ackBatch;
    private Task<WriteResult>? _ackTask;
    private readonly TimeSpan _timestampTimeout;
    private long _lastLsn;
    private bool _disposed;

    public EventStreamWriter(StoreRuntime runtime, string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options)
    {
        _runtime = runtime;
        _scope = scope;
        _stream = stream;
        _serializer = serializer;
        WriterId = options?.WriterId ?? runtime.NewIds().ToString("N");
        _timestampTimeout = (options ?? new EventWriterOptions()).TimestampAggregationTimeout;
        _queue = new AppendQueue(runtime.Container.Log, _writeLock);
    }

    public string WriterId { get; }

    public long LastEventNumber => _state is { } s ? _runtime.Container.LastEventNumber(s.Id, WriterId) : -1;

    public Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default) =>
        WriteAsync(routingKey, evt, SegmentContainer.NoEventNumber, ct);

    public Task<WriteResult> WriteEventAsync(string routingKey, T evt, long eventNumber, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventNumber);
        return WriteAsync(routingKey, evt, eventNumber, ct);
    }

    /// <summary>
    /// Serializes the event at the call and appends it at once when the log has room and no earlier call of this
    /// writer is still waiting for room; otherwise the append is queued behind the earlier calls (call order holds,
    /// <see cref="AppendQueue"/>).
    /// </summary>
    /// <remarks>
    /// Once queued (past this writer's ordering point), a write is appended in its place whatever happens to
    /// <paramref name="ct"/>: cancelling only ends the caller's wait, as in Pravega, where a write once called is not
    /// taken back. Dropping it instead would let the writer's later queued writes in after a gap, and a resend of the
    /// dropped event would then answer <see cref="WriteResult.Duplicate"/> without it ever being stored.
    /// </remarks>
    private Task<WriteResult> WriteAsync(string routingKey, T evt, long eventNumber, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(routingKey);
        try
        {
            ct.ThrowIfCancellationRequested();
            lock (_writeLock)
            {
                ThrowIfDisposed();
                var stream = Resolve();
                _buffer.ResetWrittenCount();
                _serializer.Serialize(evt, _buffer);
                var bytes = _buffer.WrittenSpan;
                if (bytes.Length > MaxEventSize || bytes.Length > _runtime.Container.MaxEventSize(WriterId.Length))
                    throw new ArgumentException($"The serialized event is {bytes.Length} bytes; the limit is {MaxEventSize} bytes.", nameof(evt));
                double point = KeySpace.Point(routingKey);
                if (_queue.CanAppendNow)
                {
                    long lsn = Append(stream, point, bytes, eventNumber, out bool duplicate);
                    return Acknowledge(lsn, duplicate, ct);
                }
                var queued = AppendLaterAsync(Enqueue(stream, point, bytes.ToArray(), eventNumber));
                return ct.CanBeCanceled ? queued.WaitAsync(ct) : queued;
            }
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return _runtime.Fail<WriteResult>(e); // "sealed", "no such stream": reported once that is durable
        }
    }

    /// <summary>
    /// Queues an append behind the writer's earlier ones (writer lock held). A method of its own: the closure it
    /// captures is then allocated only for a queued write, not on every write's path.
    /// </summary>
    private Task<(long Lsn, bool Duplicate)> Enqueue(StreamState stream, double point, byte[] copy, long eventNumber) =>
        _queue.Enqueue(() =>
        {
            ThrowIfDisposed();
            long lsn = Append(stream, point, copy, eventNumber, out bool duplicate);
            return (lsn, duplicate);
        });

    /// <summary>
    /// A queued write (<see cref="AppendQueue"/>), acknowledged once appended. It fails only for what fails every later
    /// write too (the stream sealed or deleted, the log failed, the writer or store disposed), so no later write of this
    /// writer gets in after a gap.
    /// </summary>
    private async Task<WriteResult> AppendLaterAsync(Task<(long Lsn, bool Duplicate)> appended)
    {
        (long Lsn, bool Duplicate) append;
        try
        {
            append = await appended.ConfigureAwait(false);
        }
        catch (PravegaException)
        {
            await _runtime.Controller.WhenObservedDurableAsync(CancellationToken.None).ConfigureAwait(false); // see WriteAsync
            throw;
        }
        return await Acknowledge(append.Lsn, append.Duplicate, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Appends serialized bytes (writer lock held); returns the LSN whose durability acknowledges them.</summary>
    private long Append(StreamState stream, double point, ReadOnlySpan<byte> bytes, long eventNumber, out bool duplicate)
    {
        long lsn;
        lock (_runtime.Container.Lock)
        {
            if (stream.IsDeleted) throw new StreamNotFoundException($"Stream {stream} was deleted.");
            if (stream.IsSealed) throw new StreamSealedException($"Stream {stream} is sealed; no more events can be written.");
            // The container refuses a sealed segment; routing again under the same lock finds its successor, so an
            // append never lands in a sealed segment and a scale is invisible to the caller.
            var segment = stream.Route(point);
            while ((lsn = _runtime.Container.AppendEvent(segment.Data, WriterId, eventNumber, bytes, out duplicate)) == 0 && !duplicate)
            {
                var successor = stream.Route(point);
                if (ReferenceEquals(successor, segment))
                    throw new InvalidOperationException($"Segment {segment} of stream {stream} is sealed but still routed to.");
                segment = successor;
            }
        }
        if (_buffer.Capacity > 1 << 20) _buffer = new ArrayBufferWriter<byte>(256); // let a huge event's buffer go
        if (lsn > _lastLsn) _lastLsn = lsn;
        return lsn;
    }

    /// <summary>
    /// The task that acknowledges an append. Writes in one group commit share one task (cached per commit), so the
    /// steady-state cost is an allocation per commit, not per event; cancellable and duplicate answers get their own.
    /// </summary>
    private Task<WriteResult> Acknowledge(long lsn, bool duplicate, CancellationToken ct)
    {
        var log = _runtime.Container.Log;
        if (lsn <= log.DurableLsn) return duplicate ? DuplicateTask : WrittenTask;
        if (duplicate || ct.CanBeCanceled) return Await(log.WhenDurableAsync(lsn, ct), duplicate ? WriteResult.Duplicate : WriteResult.Written);
        var shared = log.WhenDurableShared(lsn, out long batch);
        lock (_ackLock)
        {
            if (batch != 0 && batch == _ackBatch) return _ackTask!;
            var ack = shared.IsCompletedSuccessfully ? WrittenTask
                : shared.ContinueWith(static t =>
                {
                    t.GetAwaiter().GetResult();
                    return WriteResult.Written;
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.RunContinuationsAsynchronously, TaskScheduler.Default);
            (_ackBatch, _ackTask) = (batch, ack);
            return ack;
        }

        static async Task<WriteResult> Await(Task durable, WriteResult result)
        {
            await durable.ConfigureAwait(false);
            return result;
        }
    }

    public Task FlushAsync(CancellationToken ct = default)
    {
        try
        {
            ThrowIfDisposed();
            Resolve();
            long lsn;
            lock (_writeLock) lsn = _lastLsn;
            return _runtime.Container.Log.WhenDurableAsync(lsn, ct);
        }
        catch (Exception e)
        {
            return _runtime.Fail<bool>(e);
        }
    }

    /// <summary>
    /// Notes <paramref name="timestamp"/> at where the writer is now: once everything it wrote is durable, with each active
    /// segment's durable length (at or beyond its own writes) as its position (docs/DESIGN.md, "Watermarks").
    /// </summary>
    public async Task NoteTimeAsync(long timestamp, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var stream = Resolve();
        await _queue.Appended.WaitAsync(ct).ConfigureAwait(false);
        await FlushAsync(ct).ConfigureAwait(false);
        var position = new Dictionary<long, long>();
        lock (_runtime.Container.Lock)
        {
            foreach (var segment in stream.ActiveSegments) position[segment.SegmentId] = segment.Data.DurableLength;
        }
        _runtime.Watermarks.Note(stream, WriterId, timestamp, position, _timestampTimeout);
    }

    private StreamState Resolve()
    {
        if (_state is { IsDeleted: false } s) return s;
        return _state = _runtime.Controller.GetStream(_scope, _stream);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
    }

    public async ValueTask DisposeAsync()
    {
        long lsn;
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            lsn = _lastLsn;
        }
        if (_runtime.IsDisposed) return;
        try
        {
            await _runtime.Container.Log.WhenDurable(lsn).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The log failed: every write it could not make durable has already failed with this error.
        }
    }
}
