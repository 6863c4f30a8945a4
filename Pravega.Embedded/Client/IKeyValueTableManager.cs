namespace Pravega.Embedded;

/// <summary>
/// Manages key-value tables. Safe to use from many threads at once. Table names are 1..255 characters of
/// <c>[A-Za-z0-9.-]</c> (<see cref="ArgumentException"/> with ParamName <c>table</c> otherwise).
/// </summary>
public interface IKeyValueTableManager
{
    /// <summary>Creates a key-value table.</summary>
    /// <param name="scope">Scope of the table.</param>
    /// <param name="table">Name of the table.</param>
    /// <param name="config">Its configuration.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if created, false if it already existed (its configuration is left unchanged).</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    Task<bool> CreateKeyValueTableAsync(string scope, string table, KeyValueTableConfiguration config, CancellationToken ct = default);

    /// <summary>Deletes a key-value table and all its entries.</summary>
    /// <param name="scope">Scope of the table.</param>
    /// <param name="table">Name of the table.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if deleted, false if the scope or table did not exist.</returns>
    Task<bool> DeleteKeyValueTableAsync(string scope, string table, CancellationToken ct = default);

    /// <summary>Lists the key-value tables of a scope.</summary>
    /// <param name="scope">Name of the scope.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The table names.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    IAsyncEnumerable<string> ListKeyValueTablesAsync(string scope, CancellationToken ct = default);
}
