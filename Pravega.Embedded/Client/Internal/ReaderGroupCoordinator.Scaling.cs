using Pravega.Embedded.Controller;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// The reader group across scales: successors freed once their scale's predecessors are read, end cuts and forgotten
/// segments, and the rewind of a reader declared offline without a position (docs/DESIGN.md, "Scaling").
/// </summary>
internal sealed partial class ReaderGroupCoordinator
{
    /// <summary>
    /// A start cut or snapshot may name segments the stream has forgotten since (wholly before its head: their data is
    /// gone). Where the group's segments leave part of the key space uncovered, it reads the head's segments there from
    /// 0: a reader positioned in truncated data finds it so (<see cref="TruncatedDataException"/> once) and moves to the
    /// head, as anywhere else.
    /// </summary>
    private void CoverForgottenSegments()
    {
        lock (_runtime.Container.Lock)
        {
            foreach (var stream in _streams)
            {
                var covered = _free.Concat(_finished).Where(c => ReferenceEquals(c.Stream, stream)).Select(c => c.Segment).ToList();
                foreach (var head in stream.HeadSegments)
                {
                    if (covered.Any(c => c.Overlaps(head.Range))) continue;
                    var key = new SegmentKey(stream.Scope, stream.Name, head.SegmentId);
                    _startOffsets[key] = 0;
                    _free.Add(new SegmentCursor(key, stream, head, 0, EndOffsetOf(key)));
                }
            }
        }
    }

    /// <summary>Where the group's end cut stops it in a segment, or <see cref="long.MaxValue"/>.</summary>
    private long EndOffsetOf(SegmentKey key)
    {
        foreach (var selection in State.Config.Streams)
        {
            if (selection.Scope == key.Scope && selection.Stream == key.Stream && selection.End is { IsUnbounded: false } end)
                return end.Positions.TryGetValue(key.SegmentId, out long offset) ? offset : long.MaxValue;
        }
        return long.MaxValue;
    }

    /// <summary>
    /// Frees the successors of finished segments whose scale is read to its end here (lock held; see the remarks): for a
    /// finished segment, the scale that sealed it is the connected set of its successors and their predecessors; when
    /// each of those predecessors is finished here, by its seal and not by an end cut, or is not read by this group at
    /// all (before its start), the successors are free at offset 0 and the predecessors leave the finished list.
    /// </summary>
    private bool ReleaseSuccessors()
    {
        bool released = false;
        lock (_runtime.Container.Lock) // the scale links are container state
        {
            HashSet<StreamSegment>? reachable = null;
            for (int i = 0; i < _finished.Count; i++)
            {
                var cursor = _finished[i];
                if (cursor.EndOffset != long.MaxValue || cursor.Segment.Successors.Count == 0) continue;
                var predecessors = new HashSet<StreamSegment> { cursor.Segment };
                var successors = new List<StreamSegment>();
                var queue = new Queue<StreamSegment>([cursor.Segment]);
                while (queue.TryDequeue(out var p))
                {
                    foreach (var z in p.Successors)
                    {
                        if (successors.Contains(z)) continue;
                        successors.Add(z);
                        foreach (var q in z.Predecessors)
                            if (predecessors.Add(q)) queue.Enqueue(q);
                    }
                }
                bool ready = true;
                foreach (var p in predecessors)
                {
                    var finished = _finished.Find(c => ReferenceEquals(c.Segment, p));
                    if (finished is not null) ready &= finished.EndOffset == long.MaxValue;
                    else ready &= !(reachable ??= Reachable()).Contains(p);
                }
                if (!ready) continue;
                foreach (var c in _finished)
                {
                    if (!predecessors.Contains(c.Segment) || c.FinishedBy is not { } reader) continue;
                    if (!_finishedBy.TryGetValue(reader, out var keys)) _finishedBy.Add(reader, keys = []);
                    keys.Add(c.Key);
                }
                _finished.RemoveAll(c => predecessors.Contains(c.Segment));
                foreach (var z in successors)
                {
                    var key = new SegmentKey(cursor.Key.Scope, cursor.Key.Stream, z.SegmentId);
                    if (AllCursors().Any(c => c.Key == key)) continue;
                    _free.Add(new SegmentCursor(key, cursor.Stream, z, 0, EndOffsetOf(key)));
                }
                reachable = null;
                released = true;
                i = -1; // the list changed: look again from the start
            }
        }
        return released;
    }

    /// <summary>The segments this group still reads or will read: its cursors' and every successor of theirs.</summary>
    private HashSet<StreamSegment> Reachable() => WithSuccessors(AllCursors().Select(c => c.Segment));

    /// <summary><paramref name="roots"/> and every segment after them: their successors, theirs, and so on (container lock).</summary>
    private static HashSet<StreamSegment> WithSuccessors(IEnumerable<StreamSegment> roots)
    {
        var all = new HashSet<StreamSegment>();
        var queue = new Queue<StreamSegment>();
        foreach (var root in roots)
            if (all.Add(root)) queue.Enqueue(root);
        while (queue.TryDequeue(out var s))
            foreach (var z in s.Successors)
                if (all.Add(z)) queue.Enqueue(z);
        return all;
    }

    /// <summary>Where a segment is read again from after a reader without a position: the last checkpoint, the group's start, or 0.</summary>
    private long RewindOffset(SegmentKey key) =>
        _lastCheckpointPositions is not null && _lastCheckpointPositions.TryGetValue(key, out long checkpointed) ? checkpointed
        : _startOffsets.GetValueOrDefault(key, 0);

    /// <summary>
    /// A reader went offline without a position after reading <paramref name="finished"/> to their ends since the last
    /// checkpoint and their successors were freed (lock held). Those events are delivered again, so the segments are
    /// free again from the checkpoint (or 0), and everything that came after them goes back to waiting for them, also
    /// where other readers read it meanwhile (their cursors are revoked): otherwise a key's later events, read in a
    /// successor, would come before its earlier ones read again. At-least-once, with the order kept.
    /// </summary>
    private void RewindFinished(HashSet<SegmentKey> finished)
    {
        var rewound = new List<SegmentCursor>();
        lock (_runtime.Container.Lock) // the scale links are container state
        {
            foreach (var stream in _streams)
            {
                foreach (var segment in stream.AllSegments)
                {
                    var key = new SegmentKey(stream.Scope, stream.Name, segment.SegmentId);
                    if (finished.Contains(key)) rewound.Add(new SegmentCursor(key, stream, segment, RewindOffset(key), EndOffsetOf(key)));
                }
            }
            var later = WithSuccessors(rewound.SelectMany(c => c.Segment.Successors));
            rewound.RemoveAll(c => later.Contains(c.Segment)); // freed again once its rewound predecessors are read again
            var gone = new HashSet<StreamSegment>(later.Concat(rewound.Select(c => c.Segment)));
            _free.RemoveAll(c => gone.Contains(c.Segment));
            _finished.RemoveAll(c => gone.Contains(c.Segment));
            foreach (var owned in _online.Values)
                foreach (var c in owned)
                    if (gone.Contains(c.Segment)) c.Revoked = true;
            var goneKeys = gone.Select(g => new SegmentKey(g.Data.Scope, g.Data.Stream, g.SegmentId)).ToHashSet();
            foreach (var keys in _finishedBy.Values) keys.RemoveWhere(goneKeys.Contains);
        }
        _free.AddRange(rewound);
    }
}
