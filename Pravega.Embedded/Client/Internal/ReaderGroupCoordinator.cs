using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Hands a reader group's segments to its online readers: each reader holds about its fair share
/// (ceil(unfinished segments / online readers)), takes free segments when it has fewer and gives back extras when
/// it has more, so the group rebalances as readers come and go. Segments are given back at the reader's position.
/// </summary>
/// <remarks>
/// Foundation scope: membership and positions live in memory, so a reopened store restarts a group at its
/// configured start. Durable group state and checkpoints come with the reader-group issue.
/// </remarks>
internal sealed class ReaderGroupCoordinator
{
    private readonly object _lock = new();
    private readonly Dictionary<string, List<SegmentCursor>> _online = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evicted = new(StringComparer.Ordinal);
    private readonly List<SegmentCursor> _free = [];
    private readonly Dictionary<SegmentKey, long> _startOffsets = [];
    private readonly List<StreamState> _streams = [];
    private int _unfinished;
    private int _version;
    private bool _closed;

    public ReaderGroupCoordinator(StoreRuntime runtime, ReaderGroupState state)
    {
        State = state;
        foreach (var selection in state.Config.Streams)
        {
            var stream = runtime.Controller.GetStream(selection.Scope, selection.Stream);
            _streams.Add(stream);
            var start = selection.Start is { IsUnbounded: false } s ? s.Positions : null;
            var end = selection.End is { IsUnbounded: false } e ? e.Positions : null;
            foreach (var segment in stream.AllSegments)
            {
                long offset;
                if (start is null)
                {
                    if (SegmentKeyOf(stream, segment).Epoch != 0) continue; // the head: the first epoch, from its start
                    offset = 0;
                }
                else if (!start.TryGetValue(segment.SegmentId, out offset))
                {
                    continue;
                }
                long endOffset = end is not null && end.TryGetValue(segment.SegmentId, out long eo) ? eo : long.MaxValue;
                var key = SegmentKeyOf(stream, segment);
                _startOffsets[key] = offset;
                _free.Add(new SegmentCursor(key, stream, segment, offset, endOffset));
                _unfinished++;
            }
        }
    }

    public ReaderGroupState State { get; }

    /// <summary>Changes whenever segments are freed, readers join or leave: readers then rebalance.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Signalled when <see cref="Version"/> changes.</summary>
    public DataSignal Changed { get; } = new();

    public IReadOnlyList<StreamState> Streams => _streams;

    /// <summary>Every segment of the group is read to its end.</summary>
    public bool IsFinished
    {
        get { lock (_lock) return _unfinished == 0; }
    }

    public void Join(string readerId)
    {
        lock (_lock)
        {
            if (_closed) throw new ReaderGroupNotFoundException($"Reader group '{State.Name}' was deleted.");
            if (_online.ContainsKey(readerId))
                throw new InvalidOperationException($"Reader '{readerId}' is already online in reader group '{State.Name}'.");
            _online.Add(readerId, []);
            _evicted.Remove(readerId);
            Bump();
        }
    }

    /// <summary>
    /// Brings <paramref name="owned"/> to the reader's fair share and drops finished segments; throws
    /// <see cref="ReinitializationRequiredException"/> if the reader was declared offline.
    /// </summary>
    public void Rebalance(string readerId, List<SegmentCursor> owned)
    {
        lock (_lock)
        {
            if (_closed || !_online.ContainsKey(readerId))
                throw new ReinitializationRequiredException($"Reader '{readerId}' is no longer online in reader group '{State.Name}'; dispose it and create a new one.");
            for (int i = owned.Count - 1; i >= 0; i--)
            {
                if (!owned[i].IsFinished) continue;
                owned.RemoveAt(i);
                _unfinished--;
            }
            int fair = (_unfinished + _online.Count - 1) / _online.Count;
            bool changed = false;
            while (owned.Count > fair)
            {
                _free.Add(owned[^1]);
                owned.RemoveAt(owned.Count - 1);
                changed = true;
            }
            while (owned.Count < fair && _free.Count > 0)
            {
                owned.Add(_free[^1]);
                _free.RemoveAt(_free.Count - 1);
            }
            _online[readerId] = owned;
            if (changed || _unfinished == 0) Bump();
        }
    }

    /// <summary>A reader leaves; its segments become free at the positions it reached.</summary>
    public void Leave(string readerId)
    {
        lock (_lock)
        {
            if (!_online.Remove(readerId, out var owned)) return;
            _free.AddRange(owned);
            owned.Clear();
            Bump();
        }
    }

    /// <summary>
    /// Declares a reader offline. Its segments are freed at <paramref name="position"/>, or, with none, where the
    /// group last checkpointed them (without a checkpoint: the group's start), so delivery stays at-least-once.
    /// </summary>
    public void ReaderOffline(string readerId, Position? position)
    {
        lock (_lock)
        {
            if (!_online.Remove(readerId, out var owned)) return;
            // New cursors: the evicted reader may still be inside a read with its own; it learns at its next call.
            foreach (var c in owned)
            {
                long offset = position is null ? _startOffsets[c.Key]
                    : position.OwnedSegments.TryGetValue(c.Key, out long given) ? given : c.Offset;
                _free.Add(new SegmentCursor(c.Key, c.Stream, c.Segment, offset, c.EndOffset));
            }
            _evicted.Add(readerId);
            Bump();
        }
    }

    public IReadOnlyCollection<string> OnlineReaders()
    {
        lock (_lock) return [.. _online.Keys.Order(StringComparer.Ordinal)];
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Bump();
        }
    }

    private void Bump()
    {
        Interlocked.Increment(ref _version);
        Changed.Signal();
    }

    private static SegmentKey SegmentKeyOf(StreamState stream, StreamSegment segment) => new(stream.Scope, stream.Name, segment.SegmentId);
}
