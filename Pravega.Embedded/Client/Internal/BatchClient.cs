using System.Runtime.CompilerServices;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// The batch client: lists a stream's segment ranges between two cuts and reads a range's events straight from the
/// read index, with no reader group. Ranges are independent, so any number can be read at once.
/// </summary>
internal sealed class BatchClient(StoreRuntime runtime) : IBatchClient
{
    public IAsyncEnumerable<SegmentRange> ListSegmentsAsync(string scope, string stream, StreamCut? from = null, StreamCut? to = null, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        runtime.ThrowIfDisposed();
        return ListSegments(scope, stream, from, to, ct);
    }

    public IAsyncEnumerable<T> ReadSegmentAsync<T>(SegmentRange range, ISerializer<T> serializer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(serializer);
        if (!NameValidator.IsValidName(range.Scope) || !NameValidator.IsValidName(range.Stream))
            throw new ArgumentException($"The range names an invalid stream '{range.Scope}/{range.Stream}'.", nameof(range));
        if (range.StartOffset < 0 || range.EndOffset < range.StartOffset)
            throw new ArgumentException($"The range [{range.StartOffset}, {range.EndOffset}) is not a range of offsets.", nameof(range));
        runtime.ThrowIfDisposed();
        return ReadSegment(range, serializer, ct);
    }

    private async IAsyncEnumerable<SegmentRange> ListSegments(string scope, string stream, StreamCut? from, StreamCut? to,
                                                              [EnumeratorCancellation] CancellationToken ct)
    {
        var inTier2 = new List<(Segment Data, long SegmentId, long Offset, string ParamName)>();
        var ranges = Resolve(scope, stream, from, to, inTier2);
        foreach (var (data, segmentId, offset, paramName) in inTier2)
        {
            // Tiered bytes never change: checked after the lock, they stay checked.
            if (!await runtime.Container.Tierer!.IsEventBoundaryAsync(data, offset, ct).ConfigureAwait(false))
                throw new ArgumentException($"Offset {offset} of segment {segmentId} is not an event boundary.", paramName);
        }
        foreach (var range in ranges)
        {
            ct.ThrowIfCancellationRequested();
            yield return range;
        }
    }

    /// <summary>
    /// The ranges between the cuts: every segment from <paramref name="from"/> on, through the successors of the segments
    /// it reaches, up to <paramref name="to"/>, ordered by epoch and key. Null or unbounded <paramref name="from"/>: the
    /// head (segment start offsets); null or unbounded <paramref name="to"/>: the active segments' durable tails. Both
    /// cuts must be valid cuts of the stream (<see cref="StreamController.ResolveCut"/>), with <paramref name="from"/> at
    /// or before <paramref name="to"/> everywhere, at event boundaries where the data is there to check. A segment of
    /// <paramref name="from"/> starts at its offset there, any later one at 0; a segment of <paramref name="to"/> ends at
    /// its offset there, any earlier one (sealed) at its end.
    /// </summary>
    private List<SegmentRange> Resolve(string scope, string stream, StreamCut? from, StreamCut? to, List<(Segment, long, long, string)> inTier2)
    {
        runtime.ThrowIfDisposed();
        var s = runtime.Controller.GetStream(scope, stream);
        lock (runtime.Container.Lock)
        {
            if (s.IsDeleted) throw new StreamNotFoundException($"Stream '{stream}' does not exist in scope '{scope}'.");
            List<(StreamSegment Segment, long Offset)> starts;
            if (from is null || from.IsUnbounded)
            {
                starts = [.. s.HeadSegments.Select(h => (h, h.Data.StartOffset))];
            }
            else
            {
                starts = StreamController.ResolveCut(s, from, nameof(from));
                foreach (var (segment, offset) in starts) CheckBoundary(segment, offset, nameof(from), inTier2);
            }
            List<(StreamSegment Segment, long Offset)> ends;
            if (to is null || to.IsUnbounded)
            {
                ends = [.. s.ActiveSegments.Select(a => (a, a.Data.DurableLength))];
            }
            else
            {
                ends = StreamController.ResolveCut(s, to, nameof(to));
                foreach (var (segment, offset) in ends) CheckBoundary(segment, offset, nameof(to), inTier2);
            }
            var endOffsets = ends.ToDictionary(e => e.Segment, e => e.Offset);
            var ranges = new List<SegmentRange>();
            var seen = new HashSet<StreamSegment>();
            var queue = new Queue<(StreamSegment Segment, long Start)>();
            foreach (var (segment, offset) in starts)
            {
                if (After(segment, ends))
                    throw new ArgumentException($"The start cut's segment {segment.SegmentId} comes after the end cut.", nameof(to));
                seen.Add(segment);
                queue.Enqueue((segment, offset));
            }
            while (queue.TryDequeue(out var next))
            {
                var (segment, start) = next;
                if (endOffsets.TryGetValue(segment, out long end))
                {
                    if (end < start)
                        throw new ArgumentException($"The end cut's offset {end} of segment {segment.SegmentId} is before the start's {start}.", nameof(to));
                    ranges.Add(new SegmentRange(scope, stream, segment.SegmentId, segment.Range, start, end));
                    continue; // the end cut stops here: its successors are after it
                }
                ranges.Add(new SegmentRange(scope, stream, segment.SegmentId, segment.Range, start, Math.Max(start, segment.Data.DurableLength)));
                foreach (var successor in segment.Successors)
                    if (!After(successor, ends) && seen.Add(successor)) queue.Enqueue((successor, 0));
            }
            ranges.Sort(static (a, b) => (a.SegmentId >> 32) != (b.SegmentId >> 32)
                ? (a.SegmentId >> 32).CompareTo(b.SegmentId >> 32)
                : a.KeyRange.Low.CompareTo(b.KeyRange.Low));
            return ranges;
        }
    }

    /// <summary>The segment comes after the cut: a segment of the cut overlapping it was created before it.</summary>
    private static bool After(StreamSegment segment, List<(StreamSegment Segment, long Offset)> cut) =>
        cut.Exists(c => segment.Follows(c.Segment));

    /// <summary>
    /// An offset within the segment's readable, durable bytes must be an event boundary (container lock); one that only
    /// Tier-2 can tell about goes to <paramref name="inTier2"/>, checked after the lock.
    /// </summary>
    private static void CheckBoundary(StreamSegment segment, long offset, string paramName, List<(Segment, long, long, string)> inTier2)
    {
        var data = segment.Data;
        if (offset < data.AcceptedStartOffset || offset > data.DurableLength) return;
        bool? boundary = data.IsEventBoundary(offset);
        if (boundary is null) inTier2.Add((data, segment.SegmentId, offset, paramName));
        else if (!boundary.Value)
            throw new ArgumentException($"Offset {offset} of segment {segment.SegmentId} is not an event boundary.", paramName);
    }

    private async IAsyncEnumerable<T> ReadSegment<T>(SegmentRange range, ISerializer<T> serializer, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = runtime.Controller.GetStream(range.Scope, range.Stream);
        Segment data;
        lock (runtime.Container.Lock)
        {
            if (!stream.TryGetSegment(range.SegmentId, out var segment))
                throw new ArgumentException($"Stream {stream} has no segment {range.SegmentId}.", nameof(range));
            data = segment.Data;
        }
        long offset = range.StartOffset;
        TierBlock? hint = null;
        while (offset < range.EndOffset)
        {
            ct.ThrowIfCancellationRequested();
            var step = TryRead(range, data, ref offset, serializer, hint, out var value);
            if (step == Step.InTier2)
            {
                hint = await runtime.Reader.LoadAsync(data, offset, ct).ConfigureAwait(false);
                continue;
            }
            if (step == Step.NoData)
            {
                // Take the signals, then look again: data made readable between the two looks is not missed.
                var dataSignal = data.Signal.NextAsync;
                var closing = runtime.Closing.NextAsync;
                step = TryRead(range, data, ref offset, serializer, hint, out value);
                if (step == Step.InTier2) continue;
                if (step == Step.NoData)
                {
                    runtime.ThrowIfDisposed();
                    if (stream.IsDeleted) throw new StreamNotFoundException($"Stream {stream} was deleted.");
                    await Task.WhenAny(dataSignal, closing).WaitAsync(ct).ConfigureAwait(false);
                    runtime.ThrowIfDisposed();
                    continue;
                }
            }
            if (step == Step.Ended) yield break;
            yield return value!;
        }
    }

    /// <summary>Reads the event at <paramref name="offset"/> and moves past it (the read runs the serializer inside, never across an await or a yield).</summary>
    private Step TryRead<T>(SegmentRange range, Segment data, ref long offset, ISerializer<T> serializer, TierBlock? hint, out T? value)
    {
        value = default;
        var read = runtime.Reader.ReadEvent(data, offset, serializer, hint);
        switch (read.Status)
        {
            case SegmentReadStatus.Event:
                break;
            case SegmentReadStatus.Truncated:
                throw ThrowHelper.Truncated(new SegmentKey(range.Scope, range.Stream, range.SegmentId), offset, read.StartOffset);
            case SegmentReadStatus.NotAtEventBoundary:
                if (offset == range.StartOffset)
                    throw new ArgumentException($"The range's start offset {offset} is not an event boundary of segment {range.SegmentId}.", nameof(range));
                throw new StorageCorruptedException($"Segment {range.SegmentId} of {range.Scope}/{range.Stream} has no event boundary at offset {offset}.");
            case SegmentReadStatus.EndOfSegment:
                return Step.Ended;
            case SegmentReadStatus.InTier2:
                return Step.InTier2;
            default:
                return Step.NoData;
        }
        if (read.NextOffset > range.EndOffset)
            throw new ArgumentException($"The range's end offset {range.EndOffset} is not an event boundary of segment {range.SegmentId}.", nameof(range));
        value = read.Event;
        offset = read.NextOffset;
        return Step.Event;
    }

    private enum Step
    {
        Event,
        NoData,
        Ended,
        InTier2,
    }
}
