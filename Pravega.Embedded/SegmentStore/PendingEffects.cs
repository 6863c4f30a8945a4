namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Something that becomes true when its record is durable: segment bytes readable up to <c>Offset</c> (and a
/// writer's number), a seal, or a truncation at <c>Offset</c>.
/// </summary>
internal readonly record struct PendingEffect(long Lsn, Segment Segment, long Offset, WriterState? Writer, long EventNumber, EffectKind Kind);

/// <summary>What a <see cref="PendingEffect"/> makes true.</summary>
internal enum EffectKind : byte
{
    Append,
    Seal,
    Truncation,
    Tiered,
}

/// <summary>
/// The container's effects waiting for their records to be durable, oldest first (container lock). Appends to one
/// segment by one writer within one group commit of the log are kept as one effect (the latest offset, LSN and event
/// number): they all become durable together, when that commit completes, so the flusher applies one effect per
/// segment and commit instead of one per event. A ring buffer, so steady load allocates nothing.
/// </summary>
internal sealed class PendingEffects
{
    private const int Tracked = 8; // appends of the current commit that may still be extended (segments written round-robin)

    private PendingEffect[] _ring = new PendingEffect[1024];
    private long _head; // absolute index of the oldest effect
    private long _tail; // absolute index one past the newest
    private readonly long[] _tracked = new long[Tracked]; // absolute indexes of the current commit's latest append effect per segment
    private int _trackedCount;
    private int _trackedNext;
    private long _trackedCommit = -1;

    /// <summary>
    /// Queues an effect that is never merged (a seal, truncation, tiering, or a transaction's commit). Appends after it
    /// are not merged into effects before it, so effects of one segment still apply in the order they were accepted
    /// (a durable length never goes back).
    /// </summary>
    public void Enqueue(in PendingEffect effect)
    {
        (_trackedCount, _trackedNext) = (0, 0);
        Add(effect);
    }

    private void Add(in PendingEffect effect)
    {
        if (_tail - _head == _ring.Length) Grow();
        _ring[_tail & (_ring.Length - 1)] = effect;
        _tail++;
    }

    /// <summary>
    /// Queues the effect of an append whose record went into group commit <paramref name="commit"/> (the LSN that
    /// commit starts with), merged into the segment's latest effect when that is an append of the same writer and
    /// commit and no other kind of effect was queued since (<see cref="Enqueue"/>): so a segment's effects still apply
    /// in the order they were accepted, and its durable length never goes back. A writer's effects on several segments
    /// may then carry its event numbers out of order within the commit: its durable number only moves up
    /// (<see cref="WriterState.NoteDurable"/>).
    /// </summary>
    public void EnqueueAppend(long commit, long lsn, Segment segment, long offset, WriterState? writer, long eventNumber)
    {
        if (commit != _trackedCommit) (_trackedCommit, _trackedCount, _trackedNext) = (commit, 0, 0);
        int slot = -1;
        for (int i = 0; i < _trackedCount; i++)
        {
            ref var e = ref _ring[_tracked[i] & (_ring.Length - 1)];
            if (!ReferenceEquals(e.Segment, segment)) continue;
            if (ReferenceEquals(e.Writer, writer))
            {
                e = e with { Lsn = lsn, Offset = offset, EventNumber = eventNumber };
                return;
            }
            slot = i; // another writer's: the new effect becomes the segment's latest, the only one merged into
            break;
        }
        if (slot < 0)
        {
            slot = _trackedNext;
            _trackedNext = (_trackedNext + 1) % Tracked;
            _trackedCount = Math.Min(_trackedCount + 1, Tracked);
        }
        _tracked[slot] = _tail;
        Add(new PendingEffect(lsn, segment, offset, writer, eventNumber, EffectKind.Append));
    }

    /// <summary>The oldest effect, if its LSN is at most <paramref name="lsn"/>, taken off the queue.</summary>
    public bool TryTake(long lsn, out PendingEffect effect)
    {
        if (_head == _tail || _ring[_head & (_ring.Length - 1)].Lsn > lsn)
        {
            effect = default;
            return false;
        }
        ref var slot = ref _ring[_head & (_ring.Length - 1)];
        effect = slot;
        slot = default; // let the segment and writer go
        _head++;
        return true;
    }

    private void Grow()
    {
        var bigger = new PendingEffect[_ring.Length * 2];
        for (long i = _head; i < _tail; i++) bigger[i & (bigger.Length - 1)] = _ring[i & (_ring.Length - 1)];
        _ring = bigger;
    }
}
