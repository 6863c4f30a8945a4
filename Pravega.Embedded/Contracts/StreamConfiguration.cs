namespace Pravega.Embedded;

/// <summary>A stream's configuration, given when it is created and changed with <see cref="IStreamManager.UpdateStreamAsync"/>.</summary>
public sealed record StreamConfiguration
{
    /// <summary>How the number of segments is decided. Default <c>ScalingPolicy.Fixed(1)</c>.</summary>
    public ScalingPolicy ScalingPolicy { get; init; } = ScalingPolicy.Fixed(1);

    /// <summary>What is kept of the stream's data, or null (the default) to keep everything until truncated explicitly.</summary>
    public RetentionPolicy? RetentionPolicy { get; init; }

    /// <summary>Checks the configuration given as parameter <paramref name="paramName"/>.</summary>
    /// <exception cref="ArgumentException">The scaling policy is null.</exception>
    internal void Validate(string paramName)
    {
        if (ScalingPolicy is null)
        {
            ThrowHelper.ThrowArgument("The scaling policy is required.", paramName);
        }
    }
}
