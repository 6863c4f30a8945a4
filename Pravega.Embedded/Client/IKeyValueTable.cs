namespace Pravega.Embedded;

/// <summary>
/// A key-value table with versioned, conditional updates. Keys are identified by their serialized bytes. Each key's
/// version only increases. Safe to use from many threads at once. Every returned task completes once the change is
/// durable. Disposing releases the table.
/// </summary>
/// <typeparam name="TKey">Type of the keys.</typeparam>
/// <typeparam name="TValue">Type of the values.</typeparam>
public interface IKeyValueTable<TKey, TValue> : IAsyncDisposable
{
    /// <summary>Gets a key's entry.</summary>
    /// <param name="key">The key.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The entry with its current version, or null if the key is absent.</returns>
    Task<TableEntry<TKey, TValue>?> GetAsync(TKey key, CancellationToken ct = default);

    /// <summary>Sets a key's value unconditionally.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The key's new version.</returns>
    Task<KeyVersion> PutAsync(TKey key, TValue value, CancellationToken ct = default);

    /// <summary>Inserts a key that must be absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The key's version.</returns>
    /// <exception cref="ConditionalUpdateException">The key is present.</exception>
    Task<KeyVersion> PutIfAbsentAsync(TKey key, TValue value, CancellationToken ct = default);

    /// <summary>
    /// Sets a key's value if its current version is <paramref name="expected"/>; with
    /// <see cref="KeyVersion.NotExists"/>, only if the key is absent.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expected">The expected current version.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The key's new version.</returns>
    /// <exception cref="ConditionalUpdateException">The key's version differs (or the key is absent, or present for <see cref="KeyVersion.NotExists"/>).</exception>
    Task<KeyVersion> ReplaceAsync(TKey key, TValue value, KeyVersion expected, CancellationToken ct = default);

    /// <summary>Removes a key, unconditionally (<paramref name="expected"/> null) or if its current version is <paramref name="expected"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The expected current version, or null for none. Removing an absent key unconditionally does nothing.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the removal is durable.</returns>
    /// <exception cref="ConditionalUpdateException">The key's version differs, or the key is absent.</exception>
    Task RemoveAsync(TKey key, KeyVersion? expected = null, CancellationToken ct = default);

    /// <summary>
    /// Puts several entries atomically, across all partitions: all or none. Each entry's
    /// <see cref="TableEntry{TKey, TValue}.Version"/> is its condition (<see cref="KeyVersion.Any"/>: none).
    /// </summary>
    /// <param name="entries">The entries, with distinct keys.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The new versions, in the order of <paramref name="entries"/>.</returns>
    /// <exception cref="ArgumentException">Two entries have the same key.</exception>
    /// <exception cref="ConditionalUpdateException">A condition failed; nothing was changed.</exception>
    Task<IReadOnlyList<KeyVersion>> UpdateAllAsync(IReadOnlyList<TableEntry<TKey, TValue>> entries, CancellationToken ct = default);

    /// <summary>Enumerates the table's entries, in no particular order.</summary>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The entries with their versions.</returns>
    IAsyncEnumerable<TableEntry<TKey, TValue>> EntriesAsync(CancellationToken ct = default);
}
