namespace Pravega.Embedded;

/// <summary>
/// Bounds, derived from watermarks, on the times writers noted (<see cref="IEventStreamWriter{T}.NoteTimeAsync"/>)
/// around a reader's current position, as in Pravega: <see cref="UpperTimeBound"/> is at or above every time any
/// writer noted before that position, and <see cref="LowerTimeBound"/> is at or below the latest time any writer
/// noted after it. Watermarks advance at least once a second while writers note times.
/// </summary>
/// <param name="LowerTimeBound">The lower bound, or null when none is known (near the head of the stream).</param>
/// <param name="UpperTimeBound">The upper bound, or null when none is known (near the tail of the stream).</param>
public readonly record struct TimeWindow(long? LowerTimeBound, long? UpperTimeBound);
