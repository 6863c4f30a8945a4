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
    private readonly DataSignal _closing = new();
    private SegmentKey[] _ownedKeys = [];
    private int _seenVersion = -1;
    private int _ownedChanges; // counts changes of the owned segments, whose signals a waiting read takes
    private int _next;
    private int _busy;
    private SegmentCursor? _toLoad; // TryRead found its next event in Tier-2, not in memory
    private bool _disposed;

    public EventStreamReader(StoreRuntime runtime, string readerId, string scope, string group, ISerializer<T> serializer, ReaderOptions? options)
    {
        _runtime = runtime;
        ReaderId = readerId;
        _scope = scope;
        _group = group;
        _serializer = serializer;
        _options = options;
        // Online at once, as in Pravega (the group lists it, and balances with it in mind). What goes wrong here (no
        // such group, the id already online) is reported by the first async call, as API.md says.
        try
        {
            Join();
        }
        catch (Exception e) when (e is PravegaException or InvalidOperationException)
        {
        }
    }

    public string ReaderId { get; }

    public ValueTask<EventRead<T>> ReadNextEventAsync(TimeSpan timeout, CancellationToken ct = default) =>
        Read(timeout, TryRead, LoadBlockAsync, static p => EventRead<T>.Timeout(p), ct);

    /// <summary>
    /// The batch read: the same walk as <see cref="ReadNextEventAsync"/> (group sync, checkpoints, segments in turn), but
    /// each segment's readable events are copied into the caller's batch in runs, one index search per run.
    /// </summary>
    public ValueTask<EventBatch> ReadNextEventsAsync(EventBatch batch, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Read(timeout, c => TryReadBatch(c, batch), (cursor, token) => FillTieredAsync(cursor, batch, token), p =>
        {
            batch.Finish(p);
            return batch;
        }, ct);
    }

    /// <summary>A single read met tiered bytes not in memory: the cursor gets their block as its hint, and the read goes on.</summary>
    private async Task<EventRead<T>?> LoadBlockAsync(SegmentCursor cursor, CancellationToken ct)
    {
        cursor.Hint = await _runtime.Reader.LoadAsync(cursor.Segment.Data, cursor.Offset, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// A batch read met tiered bytes not in memory, with the batch empty: the tiered bytes from the cursor on are read
    /// straight from the chunks into the batch's buffer (no block, no cache: one copy) and its events are found there in
    /// place, those that lie wholly in what was read and before the end cut. When none does (an event larger than what
    /// could be read) it falls back to the cursor's block, as a single read does.
    /// </summary>
    private async Task<EventBatch?> FillTieredAsync(SegmentCursor cursor, EventBatch batch, CancellationToken ct)
    {
        batch.Reset();
        var segment = cursor.Segment.Data;
        long from = cursor.Offset;
        int read = await _runtime.Reader.ReadTieredAsync(segment, from, batch.Buffer, ct).ConfigureAwait(false);
        if (read > 0 && !cursor.Revoked && cursor.Offset == from)
        {
            long next = batch.FindInPlace(read, batch.AddSegment(cursor.Key), from, cursor.EndOffset);
            if (batch.Count > 0 && !cursor.Revoked)
            {
                cursor.Offset = next;
                batch.Finish(CurrentPosition());
                return batch;
            }
        }
        batch.Reset();
        await LoadBlockAsync(cursor, ct).ConfigureAwait(false);
        return null; // the read goes on with the block
    }

    /// <summary>
    /// One read call: at once when <paramref name="tryRead"/> finds something, otherwise waiting for the reader's segments
    /// or its group to change (<see cref="WaitAndReadAsync"/>) until the timeout, whose answer <paramref name="timedOut"/> makes.
    /// </summary>
    private ValueTask<TResult> Read<TResult>(TimeSpan timeout, Func<ReaderGroupCoordinator, TResult?> tryRead, Func<SegmentCursor, CancellationToken, Task<TResult?>> load,
                                             Func<Position, TResult> timedOut, CancellationToken ct)
        where TResult : class
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, zero or infinite.");
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            return ValueTask.FromException<TResult>(new InvalidOperationException("A reader serves one read at a time."));
        bool done = true;
        try
        {
            ThrowIfDisposed();
            ct.ThrowIfCancellationRequested();
            var coordinator = Join();
            if (_toLoad is null && tryRead(coordinator) is { } read) return new ValueTask<TResult>(read);
            done = false;
            return new ValueTask<TResult>(WaitAndReadAsync(coordinator, timeout, tryRead, load, timedOut, ct));
        }
        catch (Exception e)
        {
            // "No such group" and the like are reported once the metadata they may depend on is durable.
            return e is PravegaException ? new ValueTask<TResult>(_runtime.Fail<TResult>(e)) : ValueTask.FromException<TResult>(e);
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
            EventRead<T> read;
            try
            {
                read = await ReadNextEventAsync(timeout, ct).ConfigureAwait(false);
            }
            catch (TruncatedDataException)
            {
                continue; // the reader already moved past the truncated data
            }
            if (read.IsEndOfStream) yield break;
            if (read.HasEvent || read.IsCheckpoint) yield return read;
        }
    }

    /// <summary>
    /// The bounds on the writers' noted times where the group is in <paramref name="stream"/> (all its readers' positions):
    /// from the last mark it read past and the first it has not; unbounded where there is none, and for a stream the
    /// group does not read.
    /// </summary>
    public TimeWindow GetCurrentTimeWindow(string scope, string stream)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ThrowIfDisposed();
        var coordinator = Join();
        foreach (var s in coordinator.Streams)
        {
            if (s.Scope != scope || s.Name != stream) continue;
            return _runtime.Watermarks.WindowAt(s, coordinator.StreamCutOf(s).Positions);
        }
        return default;
    }

    private async Task<TResult> WaitAndReadAsync<TResult>(ReaderGroupCoordinator coordinator, TimeSpan timeout, Func<ReaderGroupCoordinator, TResult?> tryRead,
                                                          Func<SegmentCursor, CancellationToken, Task<TResult?>> load, Func<Position, TResult> timedOut, CancellationToken ct)
        where TResult : class
    {
        try
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            List<Task> waits = [];
            while (true)
            {
                ThrowIfDisposed();
                if (_toLoad is { } cursor)
                {
                    // Before the signals are taken: a load that answers needs none (a batch read through tiered bytes).
                    _toLoad = null;
                    if (await load(cursor, ct).ConfigureAwait(false) is { } loaded) return loaded;
                }
                waits.Clear();
                waits.Add(coordinator.Changed.NextAsync);
                waits.Add(_runtime.Closing.NextAsync);
                waits.Add(_closing.NextAsync);
                foreach (var c in _owned) waits.Add(c.Segment.Data.Signal.NextAsync); // only this reader's segments
                int changes = _ownedChanges;
                if (tryRead(coordinator) is { } read) return read; // checked after taking the signals: no lost wake-up
                if (_toLoad is not null) continue;
                if (changes != _ownedChanges) continue; // it took other segments: wait on their signals instead
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0) return timedOut(CurrentPosition());
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

    /// <summary>
    /// Takes the group's changes (segments given back or taken, a checkpoint started): the name of a checkpoint this reader
    /// passes now and must return, or null.
    /// </summary>
    private string? Sync(ReaderGroupCoordinator coordinator)
    {
        _seenVersion = coordinator.Version;
        int count = _owned.Count;
        var last = count > 0 ? _owned[^1] : null;
        string? checkpoint = coordinator.Sync(ReaderId, _owned, out bool silent);
        if (_owned.Count != count || (count > 0 && !ReferenceEquals(_owned[^1], last))) _ownedChanges++;
        return silent ? null : checkpoint;
    }

    /// <summary>
    /// The next event of an owned segment, a checkpoint to pass, end of stream, or null when nothing is readable now.
    /// Looks at the group (rebalance, checkpoints) only when it changed, or when this reader has nothing to read.
    /// </summary>
    private EventRead<T>? TryRead(ReaderGroupCoordinator coordinator)
    {
        bool sync = coordinator.Version != _seenVersion || _owned.Count == 0;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (sync)
            {
                if (Sync(coordinator) is { } checkpoint) return EventRead<T>.Checkpoint(checkpoint, CurrentPosition());
                sync = false;
            }
            for (int i = 0; i < _owned.Count; i++)
            {
                int index = (_next + i) % _owned.Count;
                var cursor = _owned[index];
                if (cursor.Revoked)
                {
                    sync = true; // the group took it back: drop it
                    continue;
                }
                if (cursor.Offset >= cursor.EndOffset)
                {
                    sync |= cursor.IsFinished; // give it back to the group
                    continue;
                }
                var read = _runtime.Reader.ReadEvent(cursor.Segment.Data, cursor.Offset, _serializer, cursor.Hint);
                if (read.Status != SegmentReadStatus.Event)
                {
                    if (read.Status == SegmentReadStatus.InTier2)
                    {
                        _toLoad = cursor; // the async caller loads its block and reads again, from this cursor on
                        return null;
                    }
                    sync |= NothingRead(cursor, read.Status, read.StartOffset);
                    continue;
                }
                if (cursor.Revoked)
                {
                    sync = true; // taken back during the read: this event is read again, after what it depends on
                    continue;
                }
                var evt = read.Event!;
                var pointer = new EventPointer(cursor.Key, read.Offset, read.Length);
                cursor.Offset = read.NextOffset;
                _next = index + 1;
                return EventRead<T>.Of(evt, CurrentPosition(), pointer);
            }
            if (!sync) break;
        }
        return _owned.Count == 0 && coordinator.IsFinished ? EventRead<T>.EndOfStream(CurrentPosition()) : null;
    }

    /// <summary>
    /// <see cref="TryRead"/> for a batch: after the same group sync (a checkpoint to pass is the whole answer), each owned
    /// segment in turn gives its readable events, as many as fit; the batch, or null when nothing is readable now. A
    /// segment in Tier-2 ends the batch (the async caller loads its block when the batch is empty), as do truncation and
    /// damage, reported by the next call when the batch holds events already.
    /// </summary>
    private EventBatch? TryReadBatch(ReaderGroupCoordinator coordinator, EventBatch batch)
    {
        batch.Reset();
        bool sync = coordinator.Version != _seenVersion || _owned.Count == 0;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (sync)
            {
                if (Sync(coordinator) is { } checkpoint)
                {
                    batch.Finish(CurrentPosition(), checkpoint);
                    return batch;
                }
                sync = false;
            }
            int owned = _owned.Count;
            for (int i = 0; i < owned && !batch.IsFull; i++)
            {
                int index = (_next + i) % owned;
                var cursor = _owned[index];
                if (cursor.Revoked)
                {
                    sync = true;
                    continue;
                }
                if (cursor.Offset >= cursor.EndOffset)
                {
                    sync |= cursor.IsFinished;
                    continue;
                }
                int before = batch.Count;
                int key = batch.AddSegment(cursor.Key);
                var read = _runtime.Reader.ReadEvents(cursor.Segment.Data, cursor.Offset, cursor.EndOffset, batch, key, cursor.Hint);
                if (read.Status != SegmentReadStatus.Event)
                {
                    if (batch.Count > 0) break; // what is read goes first; the next call meets this again
                    if (read.Status == SegmentReadStatus.InTier2)
                    {
                        _toLoad = cursor; // the async caller reads the tiered bytes (or loads their block), from this cursor on
                        return null;
                    }
                    sync |= NothingRead(cursor, read.Status, read.StartOffset);
                    continue;
                }
                if (read.Count == 0)
                {
                    if (batch.Count > 0) break;
                    throw new InvalidOperationException(
                        $"The next event of segment {cursor.Key} is {read.Needed} bytes; the batch holds {batch.CapacityBytes}. Read it with a larger batch or with ReadNextEventAsync.");
                }
                if (cursor.Revoked)
                {
                    batch.TruncateTo(before); // taken back during the read: these are read again, after what they depend on
                    sync = true;
                    continue;
                }
                cursor.Offset = read.NextOffset;
                _next = index + 1;
            }
            if (batch.Count > 0)
            {
                batch.Finish(CurrentPosition());
                return batch;
            }
            if (!sync) break;
        }
        if (_owned.Count == 0 && coordinator.IsFinished)
        {
            batch.Finish(CurrentPosition(), endOfStream: true);
            return batch;
        }
        return null;
    }

    /// <summary>
    /// A read of <paramref name="cursor"/> found no event, for a reason other than Tier-2: a truncation moves the cursor
    /// to <paramref name="startOffset"/> and says so (as Pravega's reader, once); a missing boundary is damage; otherwise
    /// (at the tail, or ended) whether the cursor is finished and goes back to the group.
    /// </summary>
    private static bool NothingRead(SegmentCursor cursor, SegmentReadStatus status, long startOffset)
    {
        if (status == SegmentReadStatus.Truncated)
        {
            long skipped = cursor.Offset;
            cursor.Offset = startOffset;
            throw ThrowHelper.Truncated(cursor.Key, skipped, startOffset, " The reader moved there: read again to go on.");
        }
        if (status == SegmentReadStatus.NotAtEventBoundary)
            throw new StorageCorruptedException($"Segment {cursor.Key} has no event boundary at offset {cursor.Offset}.");
        return cursor.IsFinished;
    }

    private Position CurrentPosition()
    {
        if (_ownedKeys.Length != _owned.Count || !SameKeys())
        {
            _ownedKeys = new SegmentKey[_owned.Count];
            for (int i = 0; i < _owned.Count; i++) _ownedKeys[i] = _owned[i].Key;
        }
        var offsets = new long[_owned.Count];
        for (int i = 0; i < offsets.Length; i++) offsets[i] = _owned[i].Offset;
        return new Position(_ownedKeys, offsets);

        bool SameKeys()
        {
            for (int i = 0; i < _ownedKeys.Length; i++)
                if (_ownedKeys[i] != _owned[i].Key) return false;
            return true;
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.ThrowIfDisposed();
    }

    /// <summary>Graceful offline: the group gets this reader's segments back at its positions.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _closing.Signal();
        while (Volatile.Read(ref _busy) != 0) await Task.Delay(1).ConfigureAwait(false);
        if (_coordinator is null || _runtime.IsDisposed) return; // a closing store saves its groups itself
        try
        {
            await _coordinator.LeaveAsync(ReaderId).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // the store closed meanwhile and saved the group
        }
    }
}
