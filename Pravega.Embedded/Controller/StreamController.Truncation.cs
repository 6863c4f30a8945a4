namespace Pravega.Embedded.Controller;

/// <summary>
/// Truncation: segment start offsets move forward through <see cref="MetadataRecordType.TruncateStream"/> records,
/// written by <see cref="TruncateStreamAsync"/> and by retention. Stream cuts are checked here too.
/// </summary>
internal sealed partial class StreamController
{
    /// <summary>
    /// Truncates the stream at <paramref name="cut"/>: each segment's data before the cut's offset becomes unreadable.
    /// An offset below a segment's current start is ignored (truncation never goes backwards). Completes when the
    /// truncation is durable, and then readers see it.
    /// </summary>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    /// <exception cref="ArgumentException">
    /// The cut is not a valid cut of this stream, an offset is beyond its segment's durable length, or is not an event
    /// boundary (ParamName <c>cut</c>).
    /// </exception>
    public async Task TruncateStreamAsync(string scope, string stream, StreamCut cut, CancellationToken ct)
    {
        // An offset in tiered bytes is checked in Tier-2, off the lock, and then the truncation is tried again: tiered
        // bytes never change, so what was checked stays checked (a second pass finds nothing new unless more was tiered).
        var checkedInTier2 = new HashSet<(long SegmentId, long Offset)>();
        while (true)
        {
            var inTier2 = new List<(SegmentStore.Segment Data, long SegmentId, long Offset)>();
            bool done = await Run(() =>
            {
                var s = RequireStream(scope, stream);
                if (s.IsSealed) throw new StreamSealedException($"Stream {s} is sealed and cannot be truncated.");
                var positions = ResolveCut(s, cut, nameof(cut));
                foreach (var (segment, offset) in positions)
                {
                    var data = segment.Data;
                    if (offset > data.DurableLength)
                        throw new ArgumentException($"Offset {offset} of segment {segment.SegmentId} is beyond its durable length {data.DurableLength}.", nameof(cut));
                    if (offset <= data.AcceptedStartOffset) continue;
                    bool? boundary = data.IsEventBoundary(offset);
                    if (boundary == false)
                        throw new ArgumentException($"Offset {offset} of segment {segment.SegmentId} is not an event boundary.", nameof(cut));
                    if (boundary is null && !checkedInTier2.Contains((segment.SegmentId, offset))) inTier2.Add((data, segment.SegmentId, offset));
                }
                if (inTier2.Count > 0) return false;
                // Nothing to move: Run still waits until an earlier truncation in flight is durable, so that this call's
                // effect (the head at or after the cut) holds when it completes.
                AppendTruncation(s, MergeHead(s, positions, nameof(cut)));
                return true;
            }, ct).ConfigureAwait(false);
            if (done) return;
            foreach (var (data, segmentId, offset) in inTier2)
            {
                if (!await _container.Tierer!.IsEventBoundaryAsync(data, offset, ct).ConfigureAwait(false))
                    throw new ArgumentException($"Offset {offset} of segment {segmentId} is not an event boundary.", nameof(cut));
                checkedInTier2.Add((segmentId, offset));
            }
        }
    }

    /// <summary>The stream's head (container lock): each head segment at its start offset.</summary>
    public static Dictionary<long, long> Head(StreamState stream)
    {
        var head = new Dictionary<long, long>();
        foreach (var segment in stream.HeadSegments) head[segment.SegmentId] = segment.Data.StartOffset;
        return head;
    }

    /// <summary>
    /// The head after truncating at <paramref name="cut"/> (container lock): in each part of the key space the later of
    /// the current head and the cut (a segment's offset moves forward only; a cut segment older than the head there is
    /// ignored, so truncation never goes backwards). A cut after the head in part of a segment's range and before it in
    /// another names no head: <see cref="ArgumentException"/>.
    /// </summary>
    private static List<(StreamSegment Segment, long Offset)> MergeHead(StreamState stream, List<(StreamSegment Segment, long Offset)> cut, string paramName)
    {
        var head = new List<(StreamSegment Segment, long Offset)>(cut.Count);
        foreach (var h in stream.HeadSegments)
        {
            bool inCut = false, replaced = false;
            foreach (var (c, _) in cut)
            {
                inCut |= ReferenceEquals(c, h);
                replaced |= c.Follows(h);
            }
            if (!inCut && !replaced) head.Add((h, h.Data.AcceptedStartOffset));
        }
        foreach (var (c, offset) in cut)
        {
            bool older = false;
            foreach (var h in stream.HeadSegments) older |= h.Follows(c);
            if (!older) head.Add((c, Math.Max(offset, c.Data.AcceptedStartOffset)));
        }
        head.Sort(static (a, b) => a.Segment.Range.Low.CompareTo(b.Segment.Range.Low));
        if (CoverageProblem(head.Select(p => p.Segment.Range)) is not null)
            throw new ArgumentException($"The cut is after the head of stream {stream} in part of the key space and before it in another part of one segment's range: it names no head.", paramName);
        return head;
    }

    /// <summary>Why the ranges, in key order, do not cover [0, 1) with no gap and no overlap; null when they do.</summary>
    private static string? CoverageProblem(IEnumerable<KeyRange> sorted)
    {
        double covered = 0;
        foreach (var r in sorted)
        {
            if (r.Low != covered)
                return r.Low < covered
                    ? $"The cut's segments overlap in the key space at {r.Low}."
                    : $"The cut's segments leave the key space [{covered}, {r.Low}) uncovered.";
            covered = r.High;
        }
        return covered == 1.0 ? null : $"The cut's segments leave the key space [{covered}, 1) uncovered.";
    }

    /// <summary>
    /// The segments and offsets of <paramref name="cut"/> in key order (container lock). A valid cut names this stream
    /// and segments of it whose key ranges cover the key space [0, 1) with no gap and no overlap (Pravega's rule),
    /// each at a non-negative offset; otherwise <see cref="ArgumentException"/> with <paramref name="paramName"/>. A
    /// segment the stream forgot (wholly before the head) is replaced by the head's segments where it was. Offsets are
    /// not checked against the data: callers do, as their operation needs.
    /// </summary>
    public static List<(StreamSegment Segment, long Offset)> ResolveCut(StreamState stream, StreamCut cut, string paramName)
    {
        ArgumentNullException.ThrowIfNull(cut, paramName);
        if (cut.IsUnbounded)
            throw new ArgumentException("The unbounded cut names no position of the stream.", paramName);
        if (!string.Equals(cut.Scope, stream.Scope, StringComparison.Ordinal) || !string.Equals(cut.Stream, stream.Name, StringComparison.Ordinal))
            throw new ArgumentException($"The cut is of stream {cut.Scope}/{cut.Stream}, not of {stream}.", paramName);
        var positions = new List<(StreamSegment Segment, long Offset)>(cut.Positions.Count);
        bool forgotten = false;
        foreach (var (segmentId, offset) in cut.Positions)
        {
            if (offset < 0)
                throw new ArgumentException($"The cut's offset {offset} of segment {segmentId} is negative.", paramName);
            if (stream.TryGetSegment(segmentId, out var segment)) positions.Add((segment, offset));
            else if (segmentId >= 0 && segmentId >> 32 <= stream.Epoch && (int)segmentId < stream.NextSegmentNumber) forgotten = true;
            else throw new ArgumentException($"The cut names segment {segmentId}, which stream {stream} does not have.", paramName);
        }
        if (forgotten)
        {
            // A segment the stream had and forgot lies wholly before the head (ForgetBeforeHead): where the cut is there,
            // it is at the head now, so the head's segments stand in for it.
            foreach (var head in stream.HeadSegments)
                if (!positions.Exists(p => p.Segment.Overlaps(head.Range))) positions.Add((head, head.Data.StartOffset));
        }
        positions.Sort(static (a, b) => a.Segment.Range.Low.CompareTo(b.Segment.Range.Low));
        if (CoverageProblem(positions.Select(p => p.Segment.Range)) is { } problem) throw new ArgumentException(problem, paramName);
        return positions;
    }

    /// <summary>
    /// Writes a truncation that moves the head to <paramref name="head"/> (container lock; a valid cut at or after the
    /// current head, offsets checked). Returns its LSN, or 0 if neither a start offset nor the head moves.
    /// </summary>
    private long AppendTruncation(StreamState stream, List<(StreamSegment Segment, long Offset)> head)
    {
        bool moves = head.Count != stream.HeadSegments.Count;
        foreach (var (segment, offset) in head)
            moves |= offset > segment.Data.AcceptedStartOffset || !stream.HeadSegments.Contains(segment);
        if (!moves) return 0;
        return _container.AppendMetadata(MetadataCodec.Encode(TruncateToCutRecord, w =>
        {
            w.Write(stream.Id);
            w.Write(head.Count);
            foreach (var (segment, offset) in head)
            {
                w.Write(segment.SegmentId);
                w.Write(offset);
            }
        }));
    }

    /// <summary>The head moves to a cut: its segments' starts move there, segments wholly before it are truncated to their end.</summary>
    private const MetadataRecordType TruncateToCutRecord = (MetadataRecordType)11;

    /// <summary>A <see cref="MetadataRecordType.TruncateStream"/> record (stores before scaling, and checkpoints): start offsets only.</summary>
    private void ApplyTruncation(BinaryReader r)
    {
        var stream = StreamById(r.ReadInt64());
        foreach (var (segment, offset) in ReadPositions(stream, r)) _container.TruncateSegment(segment.Data, offset, _container.CurrentLsn);
        ForgetRetentionCutsBeforeHead(stream);
    }

    private void ApplyTruncationToCut(BinaryReader r)
    {
        var stream = StreamById(r.ReadInt64());
        var head = ReadPositions(stream, r);
        foreach (var (segment, offset) in head) _container.TruncateSegment(segment.Data, offset, _container.CurrentLsn);
        stream.SetHead(head.Select(p => p.Segment));
        foreach (var segment in stream.AllSegments)
        {
            var data = segment.Data;
            if (data.AcceptedStartOffset < data.Length && stream.IsBeforeHead(segment))
                _container.TruncateSegment(data, data.Length, _container.CurrentLsn);
        }
        ForgetBeforeHead(stream);
        ForgetRetentionCutsBeforeHead(stream);
    }

    /// <summary>
    /// Forgets the segments wholly before the head, oldest first (one whose predecessors are all forgotten): they hold
    /// no data any read can reach, so the stream, the container (and so checkpoints) drop them, and their Tier-2 data
    /// goes once the record is durable. A reader still positioned in one finds it truncated to its end and moves on to
    /// its successors (it keeps its links to them). Replay does the same at the same record.
    /// </summary>
    private void ForgetBeforeHead(StreamState stream)
    {
        bool forgot;
        do
        {
            forgot = false;
            foreach (var segment in stream.AllSegments)
            {
                if (segment.Predecessors.Count > 0 || !segment.Data.IsSealed || !stream.IsBeforeHead(segment)) continue;
                stream.Forget(segment);
                _container.DeleteSegment(segment.Data);
                forgot = true;
            }
        }
        while (forgot);
    }

    private static List<(StreamSegment Segment, long Offset)> ReadPositions(StreamState stream, BinaryReader r)
    {
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("Negative segment count in a truncation record.");
        var positions = new List<(StreamSegment, long)>(count);
        for (int i = 0; i < count; i++)
        {
            long segmentId = r.ReadInt64(), offset = r.ReadInt64();
            if (!stream.TryGetSegment(segmentId, out var segment) || offset < 0)
                throw new InvalidDataException($"Truncation of segment {segmentId} of stream {stream.Id} at {offset} is invalid.");
            positions.Add((segment, offset));
        }
        return positions;
    }
}
