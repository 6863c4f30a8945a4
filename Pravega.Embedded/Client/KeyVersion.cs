namespace Pravega.Embedded;

/// <summary>
/// The version of a key in a key-value table, used for conditional updates. Versions of existing keys are positive
/// and only increase, so <c>default(KeyVersion)</c> is never a real version. (Not named <c>Version</c>, which would
/// clash with <see cref="System.Version"/>.)
/// </summary>
/// <param name="Value">The raw version number.</param>
public readonly record struct KeyVersion(long Value)
{
    /// <summary>As a condition: the key must be absent. Value -1.</summary>
    public static KeyVersion NotExists { get; } = new(-1);

    /// <summary>No condition: an unconditional put in <see cref="IKeyValueTable{TKey, TValue}.UpdateAllAsync"/>. Value <see cref="long.MinValue"/>.</summary>
    public static KeyVersion Any { get; } = new(long.MinValue);
}
