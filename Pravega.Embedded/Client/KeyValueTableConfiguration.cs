namespace Pravega.Embedded;

/// <summary>A key-value table's configuration, given when it is created.</summary>
public sealed record KeyValueTableConfiguration
{
    /// <summary>Number of partitions (table segments) keys are spread over by hash. Default 4; at least 1.</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>Checks the configuration given as parameter <paramref name="paramName"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The partition count is less than 1.</exception>
    internal void Validate(string paramName)
    {
        if (PartitionCount < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, PartitionCount, "PartitionCount must be at least 1.");
        }
    }
}
