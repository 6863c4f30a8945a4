using System.Buffers;
using System.Buffers.Binary;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A reader in a reader group: reads the segments the group gives it, round-robin, each in order, so events of one
/// routing key come in write order. At the tail it waits for the container's notification, not a poll.
/// </summary>
internal sealed class EventStreamReader<T> : IEventStreamReader<T>
{
    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _group;
    private readonly ISerializer<T> _serializer;
    private readonly ReaderOptions? _options;
    private readonly List<SegmentCursor> _owned = [];
    private ReaderGroupCoordinator? _coordinator;
    private int _seenVersion = -1;
    private int _next;
    private int _busy;
    private bool _disposed;

    public EventStreamReader(StoreRuntime runtime, string readerId, string scope, string group, ISerializer<T> serializer, ReaderOptions? options)
    {
        _runtime = runtime;
        ReaderId = readerId;
        _scope = scope;
        _group = group;
        _serializer = serializer;
        _options = options;
    }

    public string ReaderId { get; }

    public ValueTask<EventRead<T>> ReadNextEventAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, zero or infinite.");
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            return ValueTask.FromException<EventRead<T>>(new InvalidOperationException("A reader serves one read at a time."));
        bool done = true;
        try
        {
            ThrowIfDisposed();
            ct.ThrowIfCancellationRequested();
            var coordinator = Join();
            if (TryRead(coordinator) is { } read) return new ValueTask<EventRead<T>>(read);
            done = false;
            return new ValueTask<EventRead<T>>(WaitAndReadAsync(coordinator, timeout, ct));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<EventRead<T>>(e);
        }
        finally
        {
            if (done) Volatile.Write(ref _busy, 0);
        }
    }

    public async IAsyncEnumerable<EventRead<T>> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var timeout = _options?.ReadTimeoutDefault ?? TimeSpan.FromSeconds(1);
        while (true)
        {
            var read = await ReadNextEventAsync(timeout, ct).ConfigureAwait(false);
            if (read.IsEndOfStream) yield break;
            if (read.HasEvent || read.IsCheckpoint) yield return read;
        }
    }

    public TimeWindow GetCurrentTimeWindow(string scope, string stream) =>
        throw new NotSupportedException("Watermarks are not implemented yet (issue: watermarks).");

    private async Task<EventRead<T>> WaitAndReadAsync(ReaderGroupCoordinator coordinator, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            var waits = new List<Task>(coordinator.Streams.Count + 3);
            while (true)
            {
                waits.Clear();
                waits.Add(coordinator.Changed.NextAsync);
                waits.Add(_runtime.Closing.NextAsync);
                foreach (var s in coordinator.Streams) waits.Add(s.Signal.NextAsync);
                ThrowIfDisposed();
                if (TryRead(coordinator) is { } read) return read; // checked after taking the signals: no lost wake-up
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0) return EventRead<T>.Timeout(CurrentPosition());
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (remaining < int.MaxValue) waits.Add(Task.Delay(TimeSpan.FromMilliseconds(remaining), stop.Token));
                await Task.WhenAny(waits).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                ThrowIfDisposed();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private ReaderGroupCoordinator Join()
    {
        if (_coordinator is { } c) return c;
        c = _runtime.Coordinator(_scope, _group);
        c.Join(ReaderId);
        return _coordinator = c;
    }

    /// <summary>The next event of an owned segment, end of stream, or null when nothing is readable now.</summary>
    private EventRead<T>? TryRead(ReaderGroupCoordinator coordinator)
    {
        int version = coordinator.Version;
        if (version != _seenVersion || _owned.Count == 0)
        {
            coordinator.Rebalance(ReaderId, _owned);
            _seenVersion = version;
        }
        for (int i = 0; i < _owned.Count; i++)
        {
            int index = (_next + i) % _owned.Count;
            var cursor = _owned[index];
            if (!cursor.Segment.Data.TryFind(cursor.Offset, out var entry) || cursor.Offset >= cursor.EndOffset)
            {
                if (cursor.IsFinished) _seenVersion = -1; // drop it at the next rebalance
                continue;
            }
            if (entry.Offset != cursor.Offset)
                throw new StorageCorruptedException($"Segment {cursor.Key} has no event boundary at offset {cursor.Offset}.");
            _runtime.EnterRead();
            T evt;
            try
            {
                evt = Deserialize(_runtime.Container.Read(entry));
            }
            finally
            {
                _runtime.ExitRead();
            }
            var pointer = new EventPointer(cursor.Key, cursor.Offset, entry.Length);
            cursor.Offset = entry.End;
            _next = index + 1;
            return EventRead<T>.Of(evt, CurrentPosition(), pointer);
        }
        if (_seenVersion == -1) coordinator.Rebalance(ReaderId, _owned);
        if (_owned.Count == 0 && coordinator.IsFinished) return EventRead<T>.EndOfStream(CurrentPosition());
        return null;
    }

    private T Deserialize(ReadOnlyMemory<byte> segmentBytes)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(segmentBytes.Span);
        return _serializer.Deserialize(new ReadOnlySequence<byte>(segmentBytes.Slice(SegmentContainer.EventHeaderSize, length)));
    }

    private Position CurrentPosition()
    {
        var positions = new Dictionary<SegmentKey, long>(_owned.Count);
        foreach (var c in _owned) positions[c.Key] = c.Offset;
        return new Position(positions);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed) return default;
        _disposed = true;
        _coordinator?.Leave(ReaderId);
        return default;
    }
}
