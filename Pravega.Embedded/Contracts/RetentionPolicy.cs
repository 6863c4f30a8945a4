namespace Pravega.Embedded;

/// <summary>
/// A stream's retention policy. Every <see cref="StreamStoreOptions.RetentionCheckInterval"/> the store truncates the
/// stream at event boundaries so that at least the kept time span or number of bytes remains, and not much more
/// (truncation happens at stream cuts recorded over time, as in Pravega). Create one with <see cref="ByTime"/> or
/// <see cref="BySize"/>.
/// </summary>
public sealed record RetentionPolicy
{
    private RetentionPolicy(RetentionPolicyKind kind, TimeSpan? keepAtLeastTime, long? keepAtLeastBytes)
    {
        Kind = kind;
        KeepAtLeastTime = keepAtLeastTime;
        KeepAtLeastBytes = keepAtLeastBytes;
    }

    /// <summary>What the policy keeps.</summary>
    public RetentionPolicyKind Kind { get; }

    /// <summary>For <see cref="RetentionPolicyKind.Time"/>: how long events are kept at least; otherwise null.</summary>
    public TimeSpan? KeepAtLeastTime { get; }

    /// <summary>For <see cref="RetentionPolicyKind.Size"/>: how many of the latest bytes are kept at least; otherwise null.</summary>
    public long? KeepAtLeastBytes { get; }

    /// <summary>Keep at least the events written within <paramref name="keepAtLeast"/> (on the store's <see cref="TimeProvider"/>).</summary>
    /// <param name="keepAtLeast">The time span kept, positive.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepAtLeast"/> is zero or negative.</exception>
    public static RetentionPolicy ByTime(TimeSpan keepAtLeast)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keepAtLeast, TimeSpan.Zero);
        return new RetentionPolicy(RetentionPolicyKind.Time, keepAtLeast, null);
    }

    /// <summary>Keep at least the latest <paramref name="keepAtLeastBytes"/> bytes of the stream.</summary>
    /// <param name="keepAtLeastBytes">The number of bytes kept, positive.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepAtLeastBytes"/> is zero or negative.</exception>
    public static RetentionPolicy BySize(long keepAtLeastBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keepAtLeastBytes);
        return new RetentionPolicy(RetentionPolicyKind.Size, null, keepAtLeastBytes);
    }
}
