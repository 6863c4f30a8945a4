namespace Pravega.Embedded;

/// <summary>The outcome of a write with an explicit event number (<see cref="IEventStreamWriter{T}.WriteEventAsync(string, T, long, CancellationToken)"/>).</summary>
public enum WriteResult
{
    /// <summary>The event was written and is durable.</summary>
    Written,

    /// <summary>Nothing was written: the writer id already has a durable event with this number or a higher one.</summary>
    Duplicate,
}
