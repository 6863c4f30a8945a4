using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// An event writer. Each write is serialized and routed by its key at the call, in call order (the writer lock, held
/// only for that). A caller that finds nothing of the writer waiting appends its event itself; otherwise the event is
/// taken into the writer's stage, and whoever appends appends whole stages, each under one container lock, while later
/// calls fill the next (<see cref="WriteStage"/>). Writes are acknowledged when durable in every mirror. All of a
/// writer's appends go through the one ordered log, so its durability is prefix-closed across segments.
/// </summary>
internal sealed class EventStreamWriter<T> : IEventStreamWriter<T>
{
    /// <summary>Largest serialized event, as in Pravega: 8 MiB.</summary>
    public const int MaxEventSize = 8 * 1024 * 1024;

    /// <summary>Stages one caller appends before it hands the rest to the thread pool and returns.</summary>
    private const int InlineStages = 4;

    private static readonly Task<WriteResult> WrittenTask = Task.FromResult(WriteResult.Written);
    private static readonly Task<WriteResult> DuplicateTask = Task.FromResult(WriteResult.Duplicate);

    /// <summary>
    /// Empty stages a writer keeps for reuse: enough for the stages of many small events in flight (16,384 in flight
    /// fill 32), fewer of large ones (so a burst of large events does not keep their buffers).
    /// </summary>
    private const int MaxSpareStages = 32, MaxSpareLargeStages = 4;

    private readonly StoreRuntime _runtime;
    private readonly string _scope;
    private readonly string _stream;
    private readonly ISerializer<T> _serializer;
    private readonly object _writeLock = new();
    private readonly AppendWorkItem _appendLater;
    private readonly Queue<WriteStage> _full = new(); // stages that took their most, oldest first, before _staging
    private readonly Stack<WriteStage> _spares = new();
    private WriteStage _staging = new();
    private readonly WriteStage _direct = new(); // the event a caller appends itself (only while it owns appending)
    private long _ackCommit; // the group commit _ackTask acknowledges (direct appends; owned by whoever appends)
    private Task<WriteResult>? _ackTask;
    private bool _appending; // a caller or work item appends stages now
    private Task? _lastAck; // the newest stage's acknowledgement
    private StreamState? _state;
    private readonly TimeSpan _timestampTimeout;
    private long _lastLsn; // the writer's last record; written by whoever appends, read by flushes
    private bool _disposed;

    public EventStreamWriter(StoreRuntime runtime, string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options)
    {
        _runtime = runtime;
        _scope = scope;
        _stream = stream;
        _serializer = serializer;
        WriterId = options?.WriterId ?? runtime.NewIds().ToString("N");
        _timestampTimeout = (options ?? new EventWriterOptions()).TimestampAggregationTimeout;
        _appendLater = new AppendWorkItem(this);
    }

    public string WriterId { get; }

    public long LastEventNumber => _state is { } s ? _runtime.Container.LastEventNumber(s.Id, WriterId) : -1;

    private WriteAheadLog Log => _runtime.Container.Log;

    public Task WriteEventAsync(string routingKey, T evt, CancellationToken ct = default) =>
        WriteAsync(routingKey, evt, SegmentContainer.NoEventNumber, ct);

    public Task<WriteResult> WriteEventAsync(string routingKey, T evt, long eventNumber, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventNumber);
        return WriteAsync(routingKey, evt, eventNumber, ct);
    }

    /// <summary>
    /// Serializes the event at the call. With nothing of the writer waiting and room in the log, the caller appends it
    /// at once (<see cref="AppendDirect"/>); otherwise it goes into the stage, appended by whoever appends now, or by
    /// this caller, or, while the log has no room, once it has (call order holds).
    /// </summary>
    /// <remarks>
    /// Once staged (past this writer's ordering point), a write is appended in its place whatever happens to
    /// <paramref name="ct"/>: cancelling only ends the caller's wait, as in Pravega, where a write once called is not
    /// taken back. Dropping it instead would let the writer's later writes in after a gap, and a resend of the dropped
    /// event would then answer <see cref="WriteResult.Duplicate"/> without it ever being stored.
    /// </remarks>
    private Task<WriteResult> WriteAsync(string routingKey, T evt, long eventNumber, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(routingKey);
        try
        {
            ct.ThrowIfCancellationRequested();
            double point = KeySpace.Point(routingKey);
            Task<WriteResult>? ack = null;
            StreamState stream;
            bool direct, append;
            lock (_writeLock)
            {
                ThrowIfDisposed();
                stream = Resolve();
                // Nothing of this writer waits and the log has room: the caller appends its event itself, at once.
                direct = !_appending && _full.Count == 0 && _staging.IsEmpty && Log.HasRoom;
                var into = direct ? _direct : _staging;
                int start = Serialize(evt, into);
                if (!direct)
                {
                    ack = _staging.Add(stream, point, start, eventNumber, Log.CompletionOptions);
                    _lastAck = _staging.Ack!.Task;
                    if (_staging.IsFull)
                    {
                        _full.Enqueue(_staging);
                        _staging = _spares.Count > 0 ? _spares.Pop() : new WriteStage();
                    }
                }
                append = !_appending;
                _appending = true;
            }
            if (direct)
            {
                try
                {
                    ack = AppendDirect(stream, point, eventNumber, ct);
                }
                finally
                {
                    _direct.Reset();
                    AppendStages(InlineStages); // those that came meanwhile
                }
                return ack;
            }
            if (append) AppendStages(InlineStages);
            return ct.CanBeCanceled && !ack!.IsCompleted ? ack.WaitAsync(ct) : ack!;
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return _runtime.Fail<WriteResult>(e); // "no such stream", "disposed": reported once that is durable
        }
    }

    /// <summary>Serializes <paramref name="evt"/> at the end of <paramref name="into"/> (writer lock held); returns where it starts.</summary>
    /// <exception cref="ArgumentException">The serialized event is larger than the limit (nothing is kept).</exception>
    private int Serialize(T evt, WriteStage into)
    {
        int start = into.Length;
        try
        {
            _serializer.Serialize(evt, into);
        }
        catch
        {
            into.Truncate(start);
            throw;
        }
        int length = into.Length - start;
        if (length > MaxEventSize || length > _runtime.Container.MaxEventSize(WriterId.Length))
        {
            into.Truncate(start);
            throw new ArgumentException($"The serialized event is {length} bytes; the limit is {MaxEventSize} bytes.", nameof(evt));
        }
        return start;
    }

    /// <summary>
    /// Appends the event serialized into <c>_direct</c> (the caller owns appending) and returns its acknowledgement:
    /// writes in one group commit share one task (cached per commit), so a caller that writes many events without
    /// waiting allocates per commit, not per event; cancellable and duplicate answers get their own.
    /// </summary>
    private Task<WriteResult> AppendDirect(StreamState stream, double point, long eventNumber, CancellationToken ct)
    {
        long lsn, commit;
        bool duplicate;
        try
        {
            lock (_runtime.Container.Lock)
            {
                lsn = Append(stream, point, _direct.Bytes, eventNumber, out duplicate);
                commit = duplicate ? 0 : Log.LastAppendCommit;
            }
        }
#pragma warning disable CA1031 // the caller gets the error
        catch (Exception e)
#pragma warning restore CA1031
        {
            return _runtime.Fail<WriteResult>(e);
        }
        if (lsn > _lastLsn) Volatile.Write(ref _lastLsn, lsn);
        var log = Log;
        if (lsn <= log.DurableLsn) return duplicate ? DuplicateTask : WrittenTask;
        if (duplicate || ct.CanBeCanceled) return Await(log.WhenDurableAsync(lsn, ct), duplicate ? WriteResult.Duplicate : WriteResult.Written);
        if (commit == _ackCommit) return _ackTask!;
        var shared = log.WhenDurableShared(lsn, out long batch);
        var ack = shared.IsCompletedSuccessfully ? WrittenTask
            : shared.ContinueWith(static t =>
            {
                t.GetAwaiter().GetResult();
                return WriteResult.Written;
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.RunContinuationsAsynchronously, TaskScheduler.Default);
        (_ackCommit, _ackTask) = (batch, ack);
        return ack;

        static async Task<WriteResult> Await(Task durable, WriteResult result)
        {
            await durable.ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>
    /// Appends stages while there are any (the caller owns appending: <c>_appending</c>), at most
    /// <paramref name="stages"/> of them before the thread pool goes on, and stops at once when the log has no room,
    /// to go on when it has.
    /// </summary>
    private void AppendStages(int stages)
    {
        for (int n = 0; ; n++)
        {
            WriteStage stage;
            lock (_writeLock)
            {
                if (_full.Count == 0 && _staging.IsEmpty)
                {
                    _appending = false;
                    return;
                }
                var room = Log.WaitForCapacityAsync(CancellationToken.None); // without a token: nobody's wait must keep it
                if (!room.IsCompletedSuccessfully)
                {
                    _ = AppendWhenRoomAsync(room);
                    return;
                }
                if (n == stages)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(_appendLater, preferLocal: false);
                    return;
                }
                if (!_full.TryDequeue(out stage!))
                    (stage, _staging) = (_staging, _spares.Count > 0 ? _spares.Pop() : new WriteStage());
            }
            Append(stage);
            lock (_writeLock)
            {
                stage.Reset();
                if (_spares.Count < (stage.IsSmall ? MaxSpareStages : MaxSpareLargeStages)) _spares.Push(stage);
            }
        }
    }

    private async Task AppendWhenRoomAsync(ValueTask room)
    {
        await room.ConfigureAwait(false);
        AppendStages(InlineStages);
    }

    /// <summary>Goes on appending stages on the thread pool (one per writer, reused).</summary>
    private sealed class AppendWorkItem(EventStreamWriter<T> writer) : IThreadPoolWorkItem
    {
        public void Execute() => writer.AppendStages(InlineStages);
    }

    /// <summary>
    /// Appends one stage's events under one container lock, then completes its acknowledgement once the last of them is
    /// durable. A stage fails as a whole, and only for what fails every later write too (the stream sealed or deleted,
    /// the log failed, the store disposed): a stream's state does not change while the container lock is held, so it
    /// fails at its first event, before anything of it is appended (a failed log aside, where nothing is known).
    /// </summary>
    private void Append(WriteStage stage)
    {
        var ack = stage.Ack!;
        long last = 0;
        try
        {
            var container = _runtime.Container;
            lock (container.Lock)
            {
                AppendBatch? batch = null;
                StreamState? stream = null;
                foreach (var write in stage.Writes)
                {
                    if (!ReferenceEquals(write.Stream, stream))
                    {
                        if (batch is not null) last = Math.Max(last, container.AppendBatched(batch, stage.Bytes));
                        stream = write.Stream;
                        ThrowIfNotWritable(stream);
                        batch = container.BeginBatch(stream.Id, WriterId);
                    }
                    if (Gather(batch!, stream, write) is { } duplicateLsn)
                    {
                        ack.MarkDuplicate(write.Own);
                        last = Math.Max(last, duplicateLsn);
                    }
                }
                last = Math.Max(last, container.AppendBatched(batch!, stage.Bytes));
            }
        }
#pragma warning disable CA1031 // the stage's callers get the error
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailAfterObserved(ack, e);
            return;
        }
        if (last > _lastLsn) Volatile.Write(ref _lastLsn, last);
        try
        {
            ack.CompleteWhenDurable(Log, last);
        }
#pragma warning disable CA1031 // the log was disposed meanwhile
        catch (Exception e)
#pragma warning restore CA1031
        {
            ack.Complete(e);
        }
    }

    /// <summary>Fails a stage once the metadata its error reports is durable (as <see cref="StoreRuntime.Fail{T}"/>).</summary>
    private void FailAfterObserved(StageAck ack, Exception error)
    {
        var failed = _runtime.Fail<bool>(error);
        if (failed.IsCompleted) ack.Complete(error);
        else failed.ContinueWith(_ => ack.Complete(error), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Gathers one staged write into the container's batch (container lock held), routed as <see cref="Append(StreamState, double, ReadOnlySpan{byte}, long, out bool)"/>
    /// routes; returns null, or for a duplicate the LSN that carries its original.
    /// </summary>
    private static long? Gather(AppendBatch batch, StreamState stream, in StagedWrite write)
    {
        var segment = stream.Route(write.Point);
        GatherOutcome outcome;
        long duplicateLsn;
        while ((outcome = batch.TryGather(segment.Data, write.EventNumber, write.Start, write.Length, out duplicateLsn)) == GatherOutcome.Sealed)
            segment = Successor(stream, write.Point, segment);
        return outcome == GatherOutcome.Duplicate ? duplicateLsn : null;
    }

    private static void ThrowIfNotWritable(StreamState stream)
    {
        if (stream.IsDeleted) throw new StreamNotFoundException($"Stream {stream} was deleted.");
        if (stream.IsSealed) throw new StreamSealedException($"Stream {stream} is sealed; no more events can be written.");
    }

    /// <summary>The segment <paramref name="point"/> routes to now that <paramref name="sealedSegment"/> is sealed (a scale got there first).</summary>
    private static StreamSegment Successor(StreamState stream, double point, StreamSegment sealedSegment)
    {
        var successor = stream.Route(point);
        if (ReferenceEquals(successor, sealedSegment))
            throw new InvalidOperationException($"Segment {sealedSegment} of stream {stream} is sealed but still routed to.");
        return successor;
    }

    /// <summary>Appends one event's serialized bytes (container lock held); returns the LSN whose durability acknowledges it.</summary>
    private long Append(StreamState stream, double point, ReadOnlySpan<byte> bytes, long eventNumber, out bool duplicate)
    {
        ThrowIfNotWritable(stream);
        // The container refuses a sealed segment; routing again under the same lock finds its successor, so an
        // append never lands in a sealed segment and a scale is invisible to the caller.
        var segment = stream.Route(point);
        long lsn;
        while ((lsn = _runtime.Container.AppendEvent(segment.Data, WriterId, eventNumber, bytes, out duplicate)) == 0 && !duplicate)
            segment = Successor(stream, point, segment);
        return lsn;
    }

    /// <summary>
    /// Completes when everything written so far is durable: the stages not yet appended first (whether their writes
    /// succeed or fail: each write reports that itself), then the log up to the writer's last record.
    /// </summary>
    public Task FlushAsync(CancellationToken ct = default)
    {
        try
        {
            ThrowIfDisposed();
            Resolve();
            return WhenAllDurableAsync(ct);
        }
        catch (Exception e)
        {
            return _runtime.Fail<bool>(e);
        }
    }

    private Task WhenAllDurableAsync(CancellationToken ct)
    {
        Task? staged;
        lock (_writeLock) staged = _lastAck;
        if (staged is null || staged.IsCompleted) return Log.WhenDurableAsync(Volatile.Read(ref _lastLsn), ct); // read after: a completed stage's LSN is in
        return AfterStagedAsync(staged, ct);

        async Task AfterStagedAsync(Task staged, CancellationToken ct)
        {
            await staged.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ct.ThrowIfCancellationRequested();
            await Log.WhenDurableAsync(Volatile.Read(ref _lastLsn), ct).ConfigureAwait(false);
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

    /// <summary>Takes no more writes and waits for those taken to be appended and durable (or failed).</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        if (_runtime.IsDisposed) return;
        try
        {
            await WhenAllDurableAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The log failed: every write it could not make durable has already failed with this error.
        }
        catch (ObjectDisposedException)
        {
            // The store was disposed meanwhile: its own disposal made everything appended durable.
        }
    }
}
