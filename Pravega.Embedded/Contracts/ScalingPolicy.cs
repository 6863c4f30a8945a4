namespace Pravega.Embedded;

/// <summary>
/// A stream's scaling policy, as in Pravega: a fixed number of segments, or automatic scaling that splits a segment
/// whose rate stays above the target into <see cref="ScaleFactor"/> segments and merges neighbours that stay well
/// below it, never going under <see cref="MinSegments"/>. Create one with <see cref="Fixed"/>,
/// <see cref="ByEventRate"/> or <see cref="ByDataRate"/>.
/// </summary>
public sealed record ScalingPolicy
{
    private ScalingPolicy(ScalingPolicyKind kind, int targetRate, int scaleFactor, int minSegments)
    {
        Kind = kind;
        TargetRate = targetRate;
        ScaleFactor = scaleFactor;
        MinSegments = minSegments;
    }

    /// <summary>What drives the number of segments.</summary>
    public ScalingPolicyKind Kind { get; }

    /// <summary>Target rate per segment: events per second, or KiB per second; 0 for <see cref="ScalingPolicyKind.Fixed"/>.</summary>
    public int TargetRate { get; }

    /// <summary>Number of segments a hot segment splits into; 0 for <see cref="ScalingPolicyKind.Fixed"/>.</summary>
    public int ScaleFactor { get; }

    /// <summary>The number of segments a stream starts with and never goes below (the fixed count for <see cref="ScalingPolicyKind.Fixed"/>).</summary>
    public int MinSegments { get; }

    /// <summary>A fixed number of segments, changed only by <see cref="IStreamManager.ScaleStreamAsync"/>.</summary>
    /// <param name="segments">Number of segments, at least 1.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="segments"/> is less than 1.</exception>
    public static ScalingPolicy Fixed(int segments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 1);
        return new ScalingPolicy(ScalingPolicyKind.Fixed, 0, 0, segments);
    }

    /// <summary>Automatic scaling on the rate of events.</summary>
    /// <param name="targetEventsPerSecond">Target events per second per segment, positive.</param>
    /// <param name="scaleFactor">Number of segments a hot segment splits into, positive.</param>
    /// <param name="minSegments">Initial and minimum number of segments, at least 1.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public static ScalingPolicy ByEventRate(int targetEventsPerSecond, int scaleFactor, int minSegments) =>
        Create(ScalingPolicyKind.ByEventRate, targetEventsPerSecond, nameof(targetEventsPerSecond), scaleFactor, minSegments);

    /// <summary>Automatic scaling on the rate of bytes.</summary>
    /// <param name="targetKiBPerSecond">Target KiB per second per segment, positive.</param>
    /// <param name="scaleFactor">Number of segments a hot segment splits into, positive.</param>
    /// <param name="minSegments">Initial and minimum number of segments, at least 1.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public static ScalingPolicy ByDataRate(int targetKiBPerSecond, int scaleFactor, int minSegments) =>
        Create(ScalingPolicyKind.ByDataRate, targetKiBPerSecond, nameof(targetKiBPerSecond), scaleFactor, minSegments);

    private static ScalingPolicy Create(ScalingPolicyKind kind, int targetRate, string targetRateName, int scaleFactor, int minSegments)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetRate, targetRateName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scaleFactor);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSegments, 1);
        return new ScalingPolicy(kind, targetRate, scaleFactor, minSegments);
    }
}
