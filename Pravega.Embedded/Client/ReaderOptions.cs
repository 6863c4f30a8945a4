namespace Pravega.Embedded;

/// <summary>Options of an event reader.</summary>
public sealed record ReaderOptions
{
    /// <summary>
    /// How long <see cref="IEventStreamReader{T}.ReadEventsAsync"/> waits for an event before checking again
    /// (cancellation, end of stream, rebalancing), or null (the default) for the store's choice. Must be positive.
    /// </summary>
    public TimeSpan? ReadTimeoutDefault { get; init; }

    /// <summary>Checks the options given as parameter <paramref name="paramName"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The read timeout is not positive.</exception>
    internal void Validate(string paramName)
    {
        if (ReadTimeoutDefault is { } timeout && timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, timeout, "ReadTimeoutDefault must be positive.");
        }
    }
}
