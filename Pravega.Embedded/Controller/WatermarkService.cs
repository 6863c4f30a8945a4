using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Controller;

/// <summary>
/// Watermarks (docs/DESIGN.md, "Watermarks"), Pravega's periodic watermarking in one process: writers note times with the
/// stream's durable tail at that moment (<see cref="Note"/>); once a period (1 s on the store's <see cref="TimeProvider"/>)
/// each stream's writers that noted within their timeout are combined into a mark: the least and the greatest of their
/// latest times and, per segment, the furthest of their positions. A reader group that has read past a mark's cut has
/// read everything written before those notes: what it reads next was written after them. Marks only move forward
/// (a writer joining with an older time holds new marks back until it passes the last one), are kept in memory (the
/// last <see cref="MaxMarks"/> per stream) and start again empty after a reopen.
/// </summary>
internal sealed class WatermarkService : IDisposable
{
    /// <summary>Marks kept per stream: a reader further behind gets no lower bound (unbounded, never a wrong one).</summary>
    public const int MaxMarks = 4096;

    /// <summary>How often marks are made.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<StreamState, StreamMarks> _streams = [];
    private readonly ITimer _timer;

    public WatermarkService(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(static s => ((WatermarkService)s!).MakeMarks(), this, Period, Period);
    }

    /// <summary>
    /// A writer's time at a position (every segment of the stream at or beyond the writer's own writes, which are durable).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timestamp"/> is below the writer's last noted time (times must not go back).</exception>
    public void Note(StreamState stream, string writerId, long timestamp, IReadOnlyDictionary<long, long> position, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (!_streams.TryGetValue(stream, out var marks)) _streams.Add(stream, marks = new StreamMarks());
            if (marks.Writers.TryGetValue(writerId, out var last) && timestamp < last.Time)
                throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, $"Writer {writerId} noted time {last.Time} before; noted times must not go back.");
            marks.Writers[writerId] = new WriterTime(timestamp, position, _time.GetTimestamp(), timeout);
            marks.Changed = true;
        }
    }

    /// <summary>
    /// The time window of a reader group at <paramref name="position"/> in <paramref name="stream"/> (its segments' offsets,
    /// container lock not needed): the lower bound is the last mark the position has passed (null: none), the upper bound
    /// the first it has not (null: none).
    /// </summary>
    public TimeWindow WindowAt(StreamState stream, IReadOnlyDictionary<long, long> position)
    {
        lock (_lock)
        {
            if (!_streams.TryGetValue(stream, out var streamMarks)) return default;
            var marks = streamMarks.Marks;
            // Marks' cuts only move forward, so "passed" holds for a prefix of them: the last passed one by binary search.
            int lo = 0, hi = marks.Count; // marks[..lo] passed, marks[hi..] not
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (Passed(stream, marks[mid].Cut, position)) lo = mid + 1;
                else hi = mid;
            }
            long? lower = lo > 0 ? marks[lo - 1].LowerTimeBound : null;
            long? upper = lo < marks.Count ? marks[lo].UpperTimeBound : null;
            return new TimeWindow(lower, upper);
        }
    }

    /// <summary>
    /// Whether a group at <paramref name="position"/> has read past <paramref name="cut"/>: in every segment of the cut it is
    /// at or after the cut's offset, or that segment is read to its end (the group reads segments that follow it there).
    /// </summary>
    private static bool Passed(StreamState stream, IReadOnlyDictionary<long, long> cut, IReadOnlyDictionary<long, long> position)
    {
        foreach (var (segmentId, offset) in cut)
        {
            if (position.TryGetValue(segmentId, out long at))
            {
                if (at < offset) return false;
                continue;
            }
            if (!stream.TryGetSegment(segmentId, out var marked)) continue; // forgotten: wholly before the head, read past
            bool followed = false;
            foreach (var id in position.Keys)
            {
                if (!stream.TryGetSegment(id, out var held) || !held.Overlaps(marked.Range)) continue;
                if (!held.Follows(marked)) return false; // the group is still before it there
                followed = true;
            }
            if (!followed) return false;
        }
        return true;
    }

    /// <summary>One period: each stream whose writers noted something new gets a mark, if it moves forward.</summary>
    internal void MakeMarks()
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            foreach (var (stream, marks) in _streams.ToList())
            {
                if (stream.IsDeleted)
                {
                    _streams.Remove(stream);
                    continue;
                }
                foreach (var (id, w) in marks.Writers.ToList())
                {
                    if (_time.GetElapsedTime(w.NotedAt, now) <= w.Timeout) continue;
                    marks.Writers.Remove(id); // it stopped noting: it holds the marks back no more
                    marks.Changed = true;
                    ControllerLog.WatermarkWriterTimedOut(_logger, id, stream.ToString());
                }
                if (!marks.Changed || marks.Writers.Count == 0) continue;
                marks.Changed = false;
                long lower = marks.Writers.Values.Min(w => w.Time), upper = marks.Writers.Values.Max(w => w.Time);
                var last = marks.Marks.Count > 0 ? marks.Marks[^1] : null;
                if (last is not null && lower < last.LowerTimeBound) continue; // a late joiner holds marks back until it catches up
                var cut = last is null ? new Dictionary<long, long>() : new Dictionary<long, long>(last.Cut);
                foreach (var w in marks.Writers.Values)
                    foreach (var (segment, offset) in w.Position)
                        cut[segment] = Math.Max(offset, cut.GetValueOrDefault(segment));
                var mark = new Watermark(lower, Math.Max(upper, last?.UpperTimeBound ?? long.MinValue), cut);
                if (last is not null && mark.LowerTimeBound == last.LowerTimeBound && mark.UpperTimeBound == last.UpperTimeBound && SameCut(cut, last.Cut)) continue;
                marks.Marks.Add(mark);
                if (marks.Marks.Count > MaxMarks) marks.Marks.RemoveAt(0);
            }
        }
    }

    private static bool SameCut(Dictionary<long, long> a, IReadOnlyDictionary<long, long> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out long o) && o == p.Value);

    public void Dispose() => _timer.Dispose();

    private sealed class StreamMarks
    {
        public Dictionary<string, WriterTime> Writers { get; } = new(StringComparer.Ordinal);
        public List<Watermark> Marks { get; } = [];
        public bool Changed { get; set; }
    }

    /// <summary>A writer's latest noted time, where the stream was then, and when (a <see cref="TimeProvider"/> timestamp).</summary>
    private sealed record WriterTime(long Time, IReadOnlyDictionary<long, long> Position, long NotedAt, TimeSpan Timeout);
}

/// <summary>
/// A mark: the writers' times at a cut (segment id to offset) that every one of them had written up to when it noted its
/// time. Everything after the cut was written after all those notes.
/// </summary>
internal sealed record Watermark(long LowerTimeBound, long UpperTimeBound, IReadOnlyDictionary<long, long> Cut);
