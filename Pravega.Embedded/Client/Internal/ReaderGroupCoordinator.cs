using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// The live state of a reader group: which online reader reads which segment, where, and the checkpoints under way.
/// </summary>
/// <remarks>
/// <para>Balance: each reader holds about its fair share (ceil(unfinished segments / online readers)); at a read,
/// after the group changed, it gives back extras at its position and takes free segments. Segments move only at
/// event boundaries, so nothing is read twice or skipped.</para>
/// <para>Scaling: a segment sealed by a scale and read to its end stays among the finished ones until its successors
/// can be read: once every predecessor of every successor of that scale's segments is finished here (or lies before
/// where this group started), the successors become free segments and the finished predecessors go. So a successor is
/// read only after all of its predecessors, and events of one key come in write order across any number of scales; and
/// the group's positions (free, owned, and finished segments not yet replaced) always form a valid stream cut.</para>
/// <para>Checkpoints: every reader online when a checkpoint starts records its positions at its next read and
/// returns the checkpoint; segments do not move while a checkpoint is under way, so the recorded positions form one
/// consistent cut. Automatic checkpoints are silent, as in Pravega.</para>
/// <para>Durability: the positions and the last checkpoint are written as a snapshot (a metadata record) when a
/// reader leaves or is declared offline, when a checkpoint completes and when the store closes. After a reopen
/// every reader is offline and the group resumes from its snapshot.</para>
/// </remarks>
internal sealed partial class ReaderGroupCoordinator : IDisposable
{
    private readonly StoreRuntime _runtime;
    private readonly object _lock = new();
    private readonly Dictionary<string, List<SegmentCursor>> _online = new(StringComparer.Ordinal);
    private readonly List<SegmentCursor> _free = [];
    private readonly List<SegmentCursor> _finished = [];
    private readonly Dictionary<SegmentKey, long> _startOffsets = [];
    private readonly List<StreamState> _streams = [];
    private readonly SemaphoreSlim _saving = new(1, 1);
    private readonly ITimer? _autoCheckpoints;
    private Dictionary<SegmentKey, long>? _lastCheckpointPositions;

    /// <summary>Per reader: the segments it read to their end since the last checkpoint whose successors were freed.</summary>
    private readonly Dictionary<string, HashSet<SegmentKey>> _finishedBy = new(StringComparer.Ordinal);
    private Checkpoint? _lastCheckpoint;
    private PendingCheckpoint? _pending;
    private readonly LinkedList<PendingCheckpoint> _queued = new(); // initiated while one was under way, in order
    private int _autoCheckpointNumber;
    private int _version;
    private bool _closed;

    public ReaderGroupCoordinator(StoreRuntime runtime, ReaderGroupState state)
    {
        _runtime = runtime;
        State = state;
        Generation = state.Generation;
        var config = state.Config;
        foreach (var selection in config.Streams) _streams.Add(runtime.Controller.GetStream(selection.Scope, selection.Stream));
        if (state.Snapshot is { } snapshot && snapshot.Generation == Generation) Restore(snapshot);
        else Start(config);
        CoverForgottenSegments();
        ReleaseSuccessors(); // a snapshot may have been saved between a segment's end and its successors' release
        if (config.AutomaticCheckpointInterval is { } interval)
            _autoCheckpoints = runtime.Time.CreateTimer(static c => ((ReaderGroupCoordinator)c!).StartAutomaticCheckpoint(), this, interval, interval);
    }

    public ReaderGroupState State { get; }

    /// <summary>The reset generation this coordinator serves.</summary>
    public int Generation { get; }

    /// <summary>Changes whenever readers should look at the group again (join, leave, checkpoint, close).</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Signalled when <see cref="Version"/> changes.</summary>
    public DataSignal Changed { get; } = new();

    public IReadOnlyList<StreamState> Streams => _streams;

    /// <summary>Every segment of the group is read to its end.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_lock) return _free.Count == 0 && _online.Values.All(owned => owned.Count == 0);
        }
    }

    private void Start(ReaderGroupConfig config)
    {
        for (int i = 0; i < config.Streams.Count; i++)
        {
            var selection = config.Streams[i];
            var stream = _streams[i];
            var start = selection.Start is { IsUnbounded: false } s ? s.Positions : null;
            var end = selection.End is { IsUnbounded: false } e ? e.Positions : null;
            IEnumerable<StreamSegment> first;
            lock (_runtime.Container.Lock) first = start is null ? [.. stream.HeadSegments] : [.. stream.AllSegments.Where(s => start.ContainsKey(s.SegmentId))];
            foreach (var segment in first)
            {
                var key = new SegmentKey(stream.Scope, stream.Name, segment.SegmentId);
                long offset = start is null ? segment.Data.StartOffset : start[segment.SegmentId];
                _startOffsets[key] = offset;
                _free.Add(new SegmentCursor(key, stream, segment, offset, EndOffsetOf(key)));
            }
        }
    }

    private void Restore(ReaderGroupSnapshot snapshot)
    {
        foreach (var p in snapshot.Segments)
        {
            var stream = _streams.FirstOrDefault(s => s.Scope == p.Key.Scope && s.Name == p.Key.Stream);
            if (stream is null || !stream.TryGetSegment(p.Key.SegmentId, out var segment)) continue;
            var cursor = new SegmentCursor(p.Key, stream, segment, p.Offset, p.EndOffset);
            _startOffsets[p.Key] = p.Offset;
            (p.Finished ? _finished : _free).Add(cursor);
        }
        _lastCheckpoint = snapshot.LastCheckpoint;
        _lastCheckpointPositions = snapshot.LastCheckpoint is { } cp ? PositionsOf(cp) : null;
    }

    // ---- membership ----

    public void Join(string readerId)
    {
        lock (_lock)
        {
            ThrowIfClosed(readerId);
            if (_online.ContainsKey(readerId))
                throw new InvalidOperationException($"Reader '{readerId}' is already online in reader group '{State.Name}'.");
            _online.Add(readerId, []);
            Bump();
        }
    }

    /// <summary>
    /// Called by a reader at a read after the group changed: drops its finished segments, records a checkpoint it has
    /// to pass (returning the checkpoint's name), or else rebalances. Throws <see cref="ReinitializationRequiredException"/>
    /// if the reader was declared offline or the group was reset.
    /// </summary>
    public string? Sync(string readerId, List<SegmentCursor> owned, out bool silent)
    {
        silent = false;
        string? checkpoint = null;
        PendingCheckpoint? completed = null;
        lock (_lock)
        {
            ThrowIfClosed(readerId);
            if (!_online.ContainsKey(readerId))
                throw new ReinitializationRequiredException($"Reader '{readerId}' is no longer online in reader group '{State.Name}'; dispose it and create a new one.");
            bool finished = false;
            for (int i = owned.Count - 1; i >= 0; i--)
            {
                if (owned[i].Revoked)
                {
                    owned.RemoveAt(i); // the group has a new cursor for it, or will once its predecessors are read again
                    continue;
                }
                if (!owned[i].IsFinished) continue;
                owned[i].FinishedBy = readerId;
                _finished.Add(owned[i]);
                owned.RemoveAt(i);
                finished = true;
            }
            if (finished) ReleaseSuccessors();
            if (finished) Bump(); // others may be waiting for the group's end, for successors, or for a fairer share
            if (_pending is { } pending)
            {
                if (pending.Waiting.Remove(readerId))
                {
                    foreach (var c in owned) pending.Positions[c.Key] = c.Offset;
                    checkpoint = pending.Name;
                    silent = pending.Silent;
                    if (pending.Waiting.Count == 0) completed = pending;
                }
            }
            else
            {
                Rebalance(owned);
            }
            _online[readerId] = owned;
        }
        if (completed is not null) Complete(completed);
        return checkpoint;
    }

    private void Rebalance(List<SegmentCursor> owned)
    {
        int unfinished = _free.Count + _online.Values.Sum(o => o.Count);
        int fair = (unfinished + _online.Count - 1) / _online.Count;
        bool released = false;
        while (owned.Count > fair)
        {
            _free.Add(owned[^1]);
            owned.RemoveAt(owned.Count - 1);
            released = true;
        }
        while (owned.Count < fair && _free.Count > 0)
        {
            owned.Add(_free[^1]);
            _free.RemoveAt(_free.Count - 1);
        }
        if (released) Bump();
    }

    /// <summary>A reader leaves gracefully: its segments become free at the positions it reached, durably.</summary>
    public Task LeaveAsync(string readerId)
    {
        PendingCheckpoint? completed;
        lock (_lock)
        {
            if (!_online.Remove(readerId, out var owned)) return Task.CompletedTask;
            completed = Release(readerId, owned, owned.Select(c => c.Offset).ToList());
            Bump();
        }
        if (completed is not null) Complete(completed);
        return SaveAsync();
    }

    /// <summary>
    /// Declares a reader offline. Its segments are freed at <paramref name="position"/>, or, with none, where the
    /// group last checkpointed them (without a checkpoint: where the group started; a segment it got after that, from
    /// 0), so delivery stays at-least-once. Without a position, the segments it read to their end since then across a
    /// scale are read again too (see <see cref="RewindFinished"/>).
    /// </summary>
    public Task ReaderOfflineAsync(string readerId, Position? position)
    {
        PendingCheckpoint? completed;
        lock (_lock)
        {
            if (!_online.Remove(readerId, out var owned)) return Task.CompletedTask;
            var offsets = owned.Select(c =>
                position is not null ? (position.OwnedSegments.TryGetValue(c.Key, out long given) ? given : c.Offset) : RewindOffset(c.Key)).ToList();
            completed = Release(readerId, owned, offsets);
            if (_finishedBy.Remove(readerId, out var finished) && position is null) RewindFinished(finished);
            Bump();
        }
        if (completed is not null) Complete(completed);
        return SaveAsync();
    }

    /// <summary>
    /// Frees a departed reader's segments at the given offsets (as new cursors: the reader may still be inside a read
    /// with its own). If a checkpoint waits for the reader, these offsets are its positions. A cursor revoked by a rewind
    /// (<see cref="RewindFinished"/>) that the reader had not dropped yet is not freed: the group has a new one for that
    /// segment, or will once its predecessors are read again, and freeing it too would hand the segment out twice.
    /// </summary>
    private PendingCheckpoint? Release(string readerId, List<SegmentCursor> owned, List<long> offsets)
    {
        for (int i = 0; i < owned.Count; i++)
            if (!owned[i].Revoked) _free.Add(owned[i].At(offsets[i]));
        if (_pending is not { } pending || !pending.Waiting.Remove(readerId)) return null;
        for (int i = 0; i < owned.Count; i++)
            if (!owned[i].Revoked) pending.Positions[owned[i].Key] = offsets[i];
        return pending.Waiting.Count == 0 ? pending : null;
    }

    public IReadOnlyCollection<string> OnlineReaders()
    {
        lock (_lock) return [.. _online.Keys.Order(StringComparer.Ordinal)];
    }

    // ---- checkpoints ----

    /// <summary>
    /// Starts a checkpoint, or queues it behind the one under way: checkpoints start, and so complete, in the order they
    /// were initiated, as in Pravega. Completes when every reader online at its start passed it and it is durable.
    /// Cancelling stops the wait; a checkpoint still queued then never starts.
    /// </summary>
    public async Task<Checkpoint> CheckpointAsync(string name, bool silent, CancellationToken ct)
    {
        var checkpoint = new PendingCheckpoint(name, silent);
        LinkedListNode<PendingCheckpoint>? queued = null;
        bool completed = false;
        lock (_lock)
        {
            ThrowIfClosed(null);
            if (_pending is null) completed = StartLocked(checkpoint);
            else queued = _queued.AddLast(checkpoint);
        }
        if (completed) Complete(checkpoint);
        try
        {
            return await checkpoint.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && queued is not null)
        {
            lock (_lock)
            {
                if (queued.List is not null) _queued.Remove(queued); // not started: it never will be
            }
            throw;
        }
    }

    /// <summary>Makes <paramref name="checkpoint"/> the one under way (lock held); true if no reader has to pass it.</summary>
    private bool StartLocked(PendingCheckpoint checkpoint)
    {
        _pending = checkpoint;
        checkpoint.Start(_online.Keys);
        Bump();
        return checkpoint.Waiting.Count == 0;
    }

    private void StartAutomaticCheckpoint()
    {
        lock (_lock)
        {
            if (_closed || _pending is not null || _online.Count == 0) return;
        }
        string name = $"_auto-{Interlocked.Increment(ref _autoCheckpointNumber)}";
        _ = CheckpointAsync(name, silent: true, CancellationToken.None)
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Every reader passed: free and finished segments add their positions; the cut is saved, then announced.</summary>
    private void Complete(PendingCheckpoint pending)
    {
        Checkpoint checkpoint;
        PendingCheckpoint? next = null;
        bool nextCompleted = false;
        lock (_lock)
        {
            foreach (var c in _free.Concat(_finished)) pending.Positions.TryAdd(c.Key, c.Offset);
            var cuts = new List<StreamCut>(_streams.Count);
            foreach (var stream in _streams)
            {
                var positions = pending.Positions.Where(p => p.Key.Scope == stream.Scope && p.Key.Stream == stream.Name)
                                                 .ToDictionary(p => p.Key.SegmentId, p => p.Value);
                cuts.Add(new StreamCut(stream.Scope, stream.Name, positions));
            }
            checkpoint = new Checkpoint(pending.Name, cuts);
            _lastCheckpoint = checkpoint;
            _lastCheckpointPositions = new Dictionary<SegmentKey, long>(pending.Positions);
            _finishedBy.Clear(); // what readers read before the checkpoint is never read again
            _pending = null;
            Bump();
            if (_queued.First is { } first)
            {
                _queued.RemoveFirst();
                next = first.Value;
                nextCompleted = StartLocked(next);
            }
        }
        _ = AnnounceAsync(pending, checkpoint);
        if (next is not null && nextCompleted) Complete(next);
    }

    private async Task AnnounceAsync(PendingCheckpoint pending, Checkpoint checkpoint)
    {
        try
        {
            await SaveAsync().ConfigureAwait(false);
            pending.Completion.TrySetResult(checkpoint);
        }
#pragma warning disable CA1031 // the failure goes to whoever awaits the checkpoint
        catch (Exception e)
#pragma warning restore CA1031
        {
            pending.Completion.TrySetException(e);
        }
    }

    // ---- positions ----

    /// <summary>Where the group is in <paramref name="stream"/>: every segment's current offset.</summary>
    public StreamCut StreamCutOf(StreamState stream)
    {
        var positions = new Dictionary<long, long>();
        lock (_lock)
        {
            foreach (var c in AllCursors())
                if (ReferenceEquals(c.Stream, stream)) positions[c.Segment.SegmentId] = c.Offset;
        }
        return new StreamCut(stream.Scope, stream.Name, positions);
    }

    /// <summary>Bytes written but not yet read by the group, up to its end cuts.</summary>
    public long UnreadBytes()
    {
        lock (_lock) return AllCursors().Sum(c => c.UnreadBytes);
    }

    private IEnumerable<SegmentCursor> AllCursors() => _free.Concat(_finished).Concat(_online.Values.SelectMany(o => o));

    /// <summary>Writes the group's positions and last checkpoint durably (one save at a time, each from the latest state).</summary>
    public async Task SaveAsync()
    {
        await _saving.WaitAsync().ConfigureAwait(false);
        try
        {
            ReaderGroupSnapshot snapshot;
            lock (_lock)
            {
                var segments = new List<SegmentPosition>();
                foreach (var c in _free.Concat(_online.Values.SelectMany(o => o))) segments.Add(new SegmentPosition(c.Key, c.Offset, c.EndOffset, false));
                foreach (var c in _finished) segments.Add(new SegmentPosition(c.Key, c.Offset, c.EndOffset, true));
                snapshot = new ReaderGroupSnapshot(Generation, segments, _lastCheckpoint);
            }
            await _runtime.Controller.SaveReaderGroupSnapshotAsync(State, snapshot, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>The group was deleted or reset: its readers must reinitialize; a checkpoint under way fails.</summary>
    public void Close()
    {
        PendingCheckpoint? pending;
        List<PendingCheckpoint> queued;
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            pending = _pending;
            _pending = null;
            queued = [.. _queued];
            _queued.Clear();
            Bump();
        }
        _autoCheckpoints?.Dispose();
        pending?.Completion.TrySetException(new ReinitializationRequiredException($"Reader group '{State.Name}' was reset or deleted before the checkpoint completed."));
        foreach (var q in queued)
            q.Completion.TrySetException(new ReinitializationRequiredException($"Reader group '{State.Name}' was reset or deleted before the checkpoint started."));
    }

    public void Dispose()
    {
        Close();
        _saving.Dispose();
    }

    private void ThrowIfClosed(string? readerId)
    {
        if (!_closed) return;
        if (State.IsDeleted) throw new ReaderGroupNotFoundException($"Reader group '{State.Name}' was deleted.");
        throw new ReinitializationRequiredException(readerId is null
            ? $"Reader group '{State.Name}' was reset."
            : $"Reader group '{State.Name}' was reset; dispose reader '{readerId}' and create a new one.");
    }

    private void Bump()
    {
        Interlocked.Increment(ref _version);
        Changed.Signal();
    }

    private static Dictionary<SegmentKey, long> PositionsOf(Checkpoint checkpoint)
    {
        var positions = new Dictionary<SegmentKey, long>();
        foreach (var cut in checkpoint.Positions)
            foreach (var (segment, offset) in cut.Positions)
                positions[new SegmentKey(cut.Scope, cut.Stream, segment)] = offset;
        return positions;
    }
}
