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
                AppendTruncation(s, positions);
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

    /// <summary>
    /// The stream's head (container lock): each first-epoch segment at its start offset.
    /// </summary>
    /// <remarks>
    /// Without scaling every segment is of the first epoch. With scaling, the head becomes the segments of the latest
    /// truncation cut (or the first epoch's, before any), and segments wholly before it drop out.
    /// </remarks>
    public static Dictionary<long, long> Head(StreamState stream)
    {
        var head = new Dictionary<long, long>();
        foreach (var segment in stream.AllSegments)
            if (segment.SegmentId >> 32 == 0) head[segment.SegmentId] = segment.Data.StartOffset;
        return head;
    }

    /// <summary>
    /// The segments and offsets of <paramref name="cut"/> in key order (container lock). A valid cut names this stream
    /// and segments of it whose key ranges cover the key space [0, 1) with no gap and no overlap (Pravega's rule),
    /// each at a non-negative offset; otherwise <see cref="ArgumentException"/> with <paramref name="paramName"/>.
    /// Offsets are not checked against the data: callers do, as their operation needs.
    /// </summary>
    public static List<(StreamSegment Segment, long Offset)> ResolveCut(StreamState stream, StreamCut cut, string paramName)
    {
        ArgumentNullException.ThrowIfNull(cut, paramName);
        if (cut.IsUnbounded)
            throw new ArgumentException("The unbounded cut names no position of the stream.", paramName);
        if (!string.Equals(cut.Scope, stream.Scope, StringComparison.Ordinal) || !string.Equals(cut.Stream, stream.Name, StringComparison.Ordinal))
            throw new ArgumentException($"The cut is of stream {cut.Scope}/{cut.Stream}, not of {stream}.", paramName);
        var positions = new List<(StreamSegment Segment, long Offset)>(cut.Positions.Count);
        foreach (var (segmentId, offset) in cut.Positions)
        {
            if (!stream.TryGetSegment(segmentId, out var segment))
                throw new ArgumentException($"The cut names segment {segmentId}, which stream {stream} does not have.", paramName);
            if (offset < 0)
                throw new ArgumentException($"The cut's offset {offset} of segment {segmentId} is negative.", paramName);
            positions.Add((segment, offset));
        }
        positions.Sort(static (a, b) => a.Segment.Range.Low.CompareTo(b.Segment.Range.Low));
        double covered = 0;
        foreach (var (segment, _) in positions)
        {
            if (segment.Range.Low != covered)
                throw new ArgumentException(
                    segment.Range.Low < covered
                        ? $"The cut's segments overlap in the key space at {segment.Range.Low}."
                        : $"The cut's segments leave the key space [{covered}, {segment.Range.Low}) uncovered.",
                    paramName);
            covered = segment.Range.High;
        }
        if (covered != 1.0)
            throw new ArgumentException($"The cut's segments leave the key space [{covered}, 1) uncovered.", paramName);
        return positions;
    }

    /// <summary>
    /// Writes a truncation of the positions that move a segment's start forward (container lock; offsets checked).
    /// Returns its LSN, or 0 if no start moves.
    /// </summary>
    private long AppendTruncation(StreamState stream, IReadOnlyList<(StreamSegment Segment, long Offset)> positions)
    {
        int moving = 0;
        foreach (var (segment, offset) in positions)
            if (offset > segment.Data.AcceptedStartOffset) moving++;
        if (moving == 0) return 0;
        return _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.TruncateStream, w =>
        {
            w.Write(stream.Id);
            w.Write(moving);
            foreach (var (segment, offset) in positions)
            {
                if (offset <= segment.Data.AcceptedStartOffset) continue;
                w.Write(segment.SegmentId);
                w.Write(offset);
            }
        }));
    }

    private void ApplyTruncation(BinaryReader r)
    {
        var stream = StreamById(r.ReadInt64());
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("Negative segment count in a truncation record.");
        for (int i = 0; i < count; i++)
        {
            long segmentId = r.ReadInt64(), offset = r.ReadInt64();
            if (!stream.TryGetSegment(segmentId, out var segment) || offset < 0)
                throw new InvalidDataException($"Truncation of segment {segmentId} of stream {stream.Id} at {offset} is invalid.");
            _container.TruncateSegment(segment.Data, offset, _container.CurrentLsn);
        }
        ForgetRetentionCutsBeforeHead(stream);
    }
}
