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
    /// The ranges between the cuts, in key order. Null or unbounded <paramref name="from"/>: the head (segment start
    /// offsets); null or unbounded <paramref name="to"/>: the durable tail. Both cuts must be valid cuts of the stream
    /// (<see cref="StreamController.ResolveCut"/>), name the same segments (no scaling yet), with <paramref name="from"/>
    /// at or before <paramref name="to"/>, at event boundaries where the data is there to check.
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
                starts = [];
                foreach (var (segmentId, offset) in StreamController.Head(s))
                    if (s.TryGetSegment(segmentId, out var segment)) starts.Add((segment, offset));
                starts.Sort(static (a, b) => a.Segment.Range.Low.CompareTo(b.Segment.Range.Low));
            }
            else
            {
                starts = StreamController.ResolveCut(s, from, nameof(from));
                foreach (var (segment, offset) in starts) CheckBoundary(segment, offset, nameof(from), inTier2);
            }
            var ends = new Dictionary<long, long>();
            if (to is null || to.IsUnbounded)
            {
                foreach (var segment in s.ActiveSegments) ends[segment.SegmentId] = segment.Data.DurableLength;
            }
            else
            {
                foreach (var (segment, offset) in StreamController.ResolveCut(s, to, nameof(to)))
                {
                    CheckBoundary(segment, offset, nameof(to), inTier2);
                    ends[segment.SegmentId] = offset;
                }
            }
            var ranges = new List<SegmentRange>(starts.Count);
            foreach (var (segment, start) in starts)
            {
                if (!ends.TryGetValue(segment.SegmentId, out long end))
                    throw new ArgumentException($"The end cut does not name segment {segment.SegmentId} of the start cut.", nameof(to));
                if (end < start)
                    throw new ArgumentException($"The end cut's offset {end} of segment {segment.SegmentId} is before the start's {start}.", nameof(to));
                ranges.Add(new SegmentRange(scope, stream, segment.SegmentId, segment.Range, start, end));
            }
            return ranges;
        }
    }

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
