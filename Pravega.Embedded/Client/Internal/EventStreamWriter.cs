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

    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _stream;
    private readonly ISerializer<T> _serializer;
    private readonly object _writeLock = new();
    private ArrayBufferWriter<byte> _buffer = new(256);
    private StreamState? _state;
    private long _lastLsn;
    private bool _disposed;

    public EventStreamWriter(StoreRuntime runtime, string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options)
    {
        _runtime = runtime;
        _scope = scope;
        _stream = stream;
        _serializer = serializer;
        WriterId = options?.WriterId ?? Guid.NewGuid().ToString("N");
    }

    public string WriterId { get; }

    public long LastEventNumber => _state is { } s ? _runtime.Container.LastEventNumber(s.Id, WriterId) : -1;

    public Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(routingKey);
        try
        {
            long lsn = Append(routingKey, evt, SegmentContainer.NoEventNumber, out _, ct);
            return WhenDurable(lsn, ct);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return Task.FromException(e);
        }
    }

    public Task<WriteResult> WriteEventAsync(string routingKey, T evt, long eventNumber, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(routingKey);
        ArgumentOutOfRangeException.ThrowIfNegative(eventNumber);
        try
        {
            long lsn = Append(routingKey, evt, eventNumber, out bool duplicate, ct);
            var result = duplicate ? WriteResult.Duplicate : WriteResult.Written;
            var durable = _runtime.Container.Log.WhenDurable(lsn);
            return durable.IsCompletedSuccessfully ? Task.FromResult(result) : Await(durable, result, ct);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return Task.FromException<WriteResult>(e);
        }

        static async Task<WriteResult> Await(ValueTask durable, WriteResult result, CancellationToken ct)
        {
            if (ct.CanBeCanceled) await durable.AsTask().WaitAsync(ct).ConfigureAwait(false);
            else await durable.ConfigureAwait(false);
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
            return WhenDurable(lsn, ct);
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    public Task NoteTimeAsync(long timestamp, CancellationToken ct = default) =>
        Task.FromException(new NotSupportedException("Watermarks are not implemented yet (issue: watermarks)."));

    /// <summary>Serializes, routes and appends one event in call order; returns the LSN whose durability acknowledges it.</summary>
    private long Append(string routingKey, T evt, long eventNumber, out bool duplicate, CancellationToken ct)
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
            long lsn;
            lock (_runtime.Container.Lock)
            {
                if (stream.IsDeleted) throw new StreamNotFoundException($"Stream {stream} was deleted.");
                if (stream.IsSealed) throw new StreamSealedException($"Stream {stream} is sealed; no more events can be written.");
                var segment = stream.Route(point);
                lsn = _runtime.Container.AppendEvent(segment.Data, WriterId, eventNumber, bytes, out duplicate);
            }
            if (_buffer.Capacity > 1 << 20) _buffer = new ArrayBufferWriter<byte>(256); // let a huge event's buffer go
            if (lsn > _lastLsn) _lastLsn = lsn;
            return lsn;
        }
    }

    private Task WhenDurable(long lsn, CancellationToken ct)
    {
        var durable = _runtime.Container.Log.WhenDurable(lsn);
        if (durable.IsCompletedSuccessfully) return Task.CompletedTask;
        return ct.CanBeCanceled ? durable.AsTask().WaitAsync(ct) : durable.AsTask();
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
        if (!_runtime.IsDisposed) await _runtime.Container.Log.WhenDurable(lsn).ConfigureAwait(false);
    }
}
