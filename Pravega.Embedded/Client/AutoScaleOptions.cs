namespace Pravega.Embedded;

/// <summary>
/// How the auto-scaler judges streams whose policy is <see cref="ScalingPolicyKind.ByEventRate"/> or
/// <see cref="ScalingPolicyKind.ByDataRate"/>, as Pravega's does: each active segment's rate is kept as exponentially
/// weighted moving averages over four windows (<see cref="RateWindow"/> and 2.5, 5 and 10 times it: Pravega's 2, 5, 10 and
/// 20 minutes). A segment is hot when the shortest average is above 5 times the policy's target, or the second above
/// twice it, or the third above it; it is then split into <see cref="ScalingPolicy.ScaleFactor"/> equal parts (at least
/// 2). It is cold when the first three are below the target and the longest below half of it; two adjacent cold segments
/// are merged, as long as the stream keeps <see cref="ScalingPolicy.MinSegments"/>. Segments younger than
/// <see cref="Cooldown"/> are left alone, and a stream scales at most once per <see cref="Cooldown"/>, one decision at a
/// time. Every time here is on <see cref="StreamStoreOptions.TimeProvider"/>.
/// </summary>
public sealed record AutoScaleOptions
{
    /// <summary>
    /// How often rates are sampled and decisions made. Default 10 seconds. Must be positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> to never scale automatically.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a segment must exist before it may be split or merged, and the least time between two scales of one
    /// stream (manual scales included). Default 10 minutes, as in Pravega. Must not be negative.
    /// </summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The shortest of the four rate averages' windows. Default 2 minutes, as in Pravega. Must be positive.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromMinutes(2);

    internal void Validate(string paramName)
    {
        if (CheckInterval <= TimeSpan.Zero && CheckInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(paramName, CheckInterval, "AutoScale.CheckInterval must be positive (or Timeout.InfiniteTimeSpan).");
        if (Cooldown < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, Cooldown, "AutoScale.Cooldown must not be negative.");
        if (RateWindow <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, RateWindow, "AutoScale.RateWindow must be positive.");
    }
}
