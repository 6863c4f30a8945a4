namespace Pravega.Embedded;

/// <summary>A key-value table entry: a key, its value and its version.</summary>
/// <typeparam name="TKey">Type of the keys.</typeparam>
/// <typeparam name="TValue">Type of the values.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
/// <param name="Version">
/// Read: the key's current version (versions of a key only increase). Given to
/// <see cref="IKeyValueTable{TKey, TValue}.UpdateAllAsync"/>: the condition (<see cref="KeyVersion.Any"/>: none,
/// <see cref="KeyVersion.NotExists"/>: key absent, otherwise the expected current version).
/// </param>
public sealed record TableEntry<TKey, TValue>(TKey Key, TValue Value, KeyVersion Version);
