namespace Pravega.Embedded;

/// <summary>
/// Manages reader groups. Safe to use from many threads at once. Group names are 1..255 characters of
/// <c>[A-Za-z0-9.-]</c> (<see cref="ArgumentException"/> with ParamName <c>groupName</c> otherwise).
/// </summary>
public interface IReaderGroupManager
{
    /// <summary>Creates a reader group reading the configured streams from their start cuts.</summary>
    /// <param name="scope">Scope of the group (its streams may be in other scopes).</param>
    /// <param name="groupName">Name of the group.</param>
    /// <param name="config">What the group reads.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if created; false if the group already existed (its configuration is left unchanged).</returns>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    /// <exception cref="ScopeNotFoundException">The group's scope, or a stream's scope, does not exist.</exception>
    /// <exception cref="StreamNotFoundException">A configured stream does not exist.</exception>
    Task<bool> CreateReaderGroupAsync(string scope, string groupName, ReaderGroupConfig config, CancellationToken ct = default);

    /// <summary>Gets a handle on an existing reader group.</summary>
    /// <param name="scope">Scope of the group.</param>
    /// <param name="groupName">Name of the group.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The group.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="ReaderGroupNotFoundException">The group does not exist.</exception>
    Task<IReaderGroup> GetReaderGroupAsync(string scope, string groupName, CancellationToken ct = default);

    /// <summary>Deletes a reader group; its readers then get <see cref="ReinitializationRequiredException"/> or <see cref="ReaderGroupNotFoundException"/>.</summary>
    /// <param name="scope">Scope of the group.</param>
    /// <param name="groupName">Name of the group.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if deleted, false if the scope or group did not exist.</returns>
    Task<bool> DeleteReaderGroupAsync(string scope, string groupName, CancellationToken ct = default);
}
