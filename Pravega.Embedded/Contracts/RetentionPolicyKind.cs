namespace Pravega.Embedded;

/// <summary>What a <see cref="RetentionPolicy"/> keeps.</summary>
public enum RetentionPolicyKind
{
    /// <summary>At least the events of a given recent time span.</summary>
    Time,

    /// <summary>At least a given number of the most recent bytes.</summary>
    Size,
}
