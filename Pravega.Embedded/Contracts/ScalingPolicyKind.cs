namespace Pravega.Embedded;

/// <summary>How a stream's number of segments is decided; see <see cref="ScalingPolicy"/>.</summary>
public enum ScalingPolicyKind
{
    /// <summary>A fixed number of segments; only manual scaling changes it.</summary>
    Fixed,

    /// <summary>Segments split and merge automatically to keep each near a target rate of events per second.</summary>
    ByEventRate,

    /// <summary>Segments split and merge automatically to keep each near a target rate of KiB per second.</summary>
    ByDataRate,
}
