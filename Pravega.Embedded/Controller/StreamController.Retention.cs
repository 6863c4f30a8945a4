namespace Pravega.Embedded.Controller;

/// <summary>
/// Retention policies, applied by <see cref="ApplyRetention"/> (called by <see cref="RetentionService"/>). Time-based
/// retention truncates at tail cuts recorded over time (the retention set, as in Pravega), which are metadata records
/// too, so that it continues after reopen; size-based retention needs no history.
/// </summary>
internal sealed partial class StreamController
{
    /// <summary>Per stream id: tail cuts recorded for time-based retention, oldest first.</summary>
    private readonly Dictionary<long, List<RetentionCut>> _retentionCuts = [];

    /// <summary>
    /// One retention pass (takes the container lock): for each unsealed stream with a policy, records its tail cut
    /// (time-based policies) and truncates what the policy no longer keeps. Returns the LSN of the last record
    /// written (0: none) and how many streams were truncated.
    /// </summary>
    public long ApplyRetention(DateTimeOffset now, out int truncatedStreams)
    {
        truncatedStreams = 0;
        long last = 0;
        lock (Lock)
        {
            foreach (var scope in _scopes.Values)
            {
                foreach (var stream in scope.Streams.Values)
                {
                    if (stream.IsSealed || stream.Config.RetentionPolicy is not { } policy) continue;
                    long recorded = 0, truncated;
                    if (policy.Kind == RetentionPolicyKind.Time)
                    {
                        recorded = RecordRetentionCut(stream, now);
                        truncated = TruncateByTime(stream, now - policy.KeepAtLeastTime!.Value);
                    }
                    else
                    {
                        truncated = TruncateBySize(stream, policy.KeepAtLeastBytes!.Value);
                    }
                    if (truncated != 0) truncatedStreams++;
                    last = Math.Max(last, Math.Max(recorded, truncated));
                }
            }
        }
        return last;
    }

    /// <summary>
    /// Before a pass: loads into the Tier-2 cache the blocks where size-based retention will cut tiered bytes, so that
    /// the pass, under the lock, finds the exact boundary there (without them it cuts at the block's first boundary,
    /// keeping up to a block more than the policy asks).
    /// </summary>
    public async Task PrepareRetentionAsync(CancellationToken ct)
    {
        if (_container.Tierer is not { } tierer) return;
        var cuts = new List<(SegmentStore.Segment Data, long Offset)>();
        lock (Lock)
        {
            foreach (var scope in _scopes.Values)
                foreach (var stream in scope.Streams.Values)
                    if (!stream.IsSealed && stream.Config.RetentionPolicy is { Kind: RetentionPolicyKind.Size } policy
                        && SizeCut(stream, policy.KeepAtLeastBytes!.Value) is { } cut)
                        foreach (var (segment, offset) in cut.Inner)
                            if (offset < segment.Data.TieredLength) cuts.Add((segment.Data, offset));
        }
        foreach (var (data, offset) in cuts) await tierer.LoadBoundaryBlocksAsync(data, offset, ct).ConfigureAwait(false);
    }

    /// <summary>The number of tail cuts kept for a stream's time-based retention (container lock; for tests).</summary>
    public int RetentionCutCount(StreamState stream)
    {
        lock (Lock) return _retentionCuts.TryGetValue(stream.Id, out var cuts) ? cuts.Count : 0;
    }

    /// <summary>
    /// Records the stream's durable tail with the time, unless it did not move since the last cut (or since the head):
    /// every event before a cut recorded at time t was durable at t, and an unchanged tail keeps the older, tighter time.
    /// </summary>
    private long RecordRetentionCut(StreamState stream, DateTimeOffset now)
    {
        var active = stream.ActiveSegments;
        _retentionCuts.TryGetValue(stream.Id, out var cuts);
        bool moved = false;
        foreach (var segment in active)
        {
            long tail = segment.Data.DurableLength;
            long previous = cuts is { Count: > 0 } ? cuts[^1].OffsetOf(segment.SegmentId) : segment.Data.AcceptedStartOffset;
            if (tail != previous)
            {
                moved = true;
                break;
            }
        }
        if (!moved) return 0;
        return _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.RetentionCut, w =>
        {
            w.Write(stream.Id);
            w.Write(now.UtcTicks);
            w.Write(active.Count);
            foreach (var segment in active)
            {
                w.Write(segment.SegmentId);
                w.Write(segment.Data.DurableLength);
            }
        }));
    }

    /// <summary>Truncates at the newest recorded cut taken at or before <paramref name="limit"/>; returns the LSN or 0.</summary>
    private long TruncateByTime(StreamState stream, DateTimeOffset limit)
    {
        if (!_retentionCuts.TryGetValue(stream.Id, out var cuts)) return 0;
        RetentionCut? chosen = null;
        foreach (var cut in cuts)
        {
            if (cut.UtcTicks > limit.UtcTicks) break;
            chosen = cut;
        }
        if (chosen is null) return 0;
        var positions = new List<(StreamSegment Segment, long Offset)>(chosen.Positions.Length);
        foreach (var (segmentId, offset) in chosen.Positions)
        {
            // A segment the stream forgot lies before the head: the head covers its range, and MergeHead keeps it there.
            if (stream.TryGetSegment(segmentId, out var segment)) positions.Add((segment, offset));
        }
        // A recorded tail cut is later than the head wherever the head came from earlier cuts; one that a truncation
        // through the API overtook in part is not a head: wait for a later cut.
        return TryMergeHead(stream, positions) is { } head ? AppendTruncation(stream, head) : 0;
    }

    /// <summary>
    /// Truncates so that at least <paramref name="keepBytes"/> remain (see <see cref="SizeCut"/>): the segments where the
    /// cut falls keep their proportional share (rounded up) of what is still to keep, cut at the event boundary at or
    /// before that point, so the total kept is at least the policy's and at most one event per segment more. Returns the
    /// LSN or 0.
    /// </summary>
    private long TruncateBySize(StreamState stream, long keepBytes)
    {
        if (SizeCut(stream, keepBytes) is not { } cut) return 0;
        var positions = new List<(StreamSegment Segment, long Offset)>(cut.Frontier.Count);
        foreach (var segment in cut.Frontier)
        {
            long offset = segment.Data.AcceptedStartOffset;
            foreach (var (s, at) in cut.Inner)
                if (ReferenceEquals(s, segment)) offset = Math.Max(offset, _container.BoundaryAtOrBefore(segment.Data, at));
            positions.Add((segment, offset));
        }
        return TryMergeHead(stream, positions) is { } head ? AppendTruncation(stream, head) : 0;
    }

    /// <summary>
    /// Where size-based retention cuts (container lock), or null when the stream holds no more than
    /// <paramref name="keepBytes"/>. It looks for the cut back from the tail one epoch at a time: the frontier starts as
    /// the active segments; while everything from the frontier on (its segments from their starts, and all their
    /// successors) holds less than the policy keeps, the frontier steps back over the latest scale not yet stepped over
    /// (its new segments give way to the segments it sealed). The cut then falls inside the segments added last
    /// (<c>Inner</c>: the active ones, or the sealed ones of that scale), each keeping its proportional share of what the
    /// later bytes leave to keep; the rest of the frontier stays at its starts. So retention works across any number of
    /// epochs, and a stream that scales often still has its old epochs truncated.
    /// </summary>
    private static (List<StreamSegment> Frontier, List<(StreamSegment Segment, long Offset)> Inner)? SizeCut(StreamState stream, long keepBytes)
    {
        ILookup<int, StreamSegment>? byEpoch = null;
        var frontier = new List<StreamSegment>(stream.ActiveSegments);
        IReadOnlyList<StreamSegment> inner = stream.ActiveSegments;
        long after = 0; // bytes from the frontier on, outside the inner segments
        for (int epoch = stream.Epoch; ; epoch--)
        {
            long innerBytes = 0;
            foreach (var segment in inner) innerBytes += Live(segment);
            if (after + innerBytes > keepBytes)
            {
                long keep = keepBytes - after;
                var cut = new List<(StreamSegment Segment, long Offset)>(inner.Count);
                foreach (var segment in inner)
                {
                    long length = Live(segment);
                    if (length == 0) continue;
                    long share = (long)(((Int128)keep * length + innerBytes - 1) / innerBytes);
                    cut.Add((segment, segment.Data.DurableLength - share));
                }
                return (frontier, cut);
            }
            if (epoch == 0) return null;
            after += innerBytes;
            byEpoch ??= stream.AllSegments.ToLookup(s => s.Epoch);
            var created = byEpoch[epoch].ToList();
            var sealedByIt = created.SelectMany(s => s.Predecessors).Distinct().ToList();
            if (sealedByIt.All(stream.IsBeforeHead)) return null; // everything older was truncated: nothing more to find
            frontier.RemoveAll(created.Contains);
            frontier.AddRange(sealedByIt);
            inner = sealedByIt;
        }

        static long Live(StreamSegment segment) => segment.Data.DurableLength - segment.Data.AcceptedStartOffset;
    }

    private static List<(StreamSegment Segment, long Offset)>? TryMergeHead(StreamState stream, List<(StreamSegment Segment, long Offset)> cut)
    {
        try
        {
            return MergeHead(stream, cut, nameof(cut));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private void ApplyRetentionCut(BinaryReader r)
    {
        var stream = StreamById(r.ReadInt64());
        long ticks = r.ReadInt64();
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("Negative segment count in a retention cut record.");
        var positions = new KeyValuePair<long, long>[count];
        for (int i = 0; i < count; i++) positions[i] = new KeyValuePair<long, long>(r.ReadInt64(), r.ReadInt64());
        if (!_retentionCuts.TryGetValue(stream.Id, out var cuts)) _retentionCuts.Add(stream.Id, cuts = []);
        cuts.Add(new RetentionCut(ticks, positions));
    }

    /// <summary>Drops the recorded cuts that are at or before the stream's head: truncating there would do nothing.</summary>
    private void ForgetRetentionCutsBeforeHead(StreamState stream)
    {
        if (!_retentionCuts.TryGetValue(stream.Id, out var cuts)) return;
        cuts.RemoveAll(cut =>
        {
            foreach (var (segmentId, offset) in cut.Positions)
                if (stream.TryGetSegment(segmentId, out var segment) && offset > segment.Data.AcceptedStartOffset) return false;
            return true;
        });
    }

    /// <summary>Forgets a stream's retention set when its policy is no longer time-based, or it is deleted.</summary>
    private void ForgetRetentionCuts(StreamState stream) => _retentionCuts.Remove(stream.Id);

    /// <summary>A tail cut recorded at a time (UTC ticks), for time-based retention.</summary>
    private sealed record RetentionCut(long UtcTicks, KeyValuePair<long, long>[] Positions)
    {
        public long OffsetOf(long segmentId)
        {
            foreach (var (id, offset) in Positions)
                if (id == segmentId) return offset;
            return -1;
        }
    }
}
