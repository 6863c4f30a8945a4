namespace Pravega.Embedded;

/// <summary>
/// Manages scopes and streams. Safe to use from many threads at once. Names are 1..255 characters of
/// <c>[A-Za-z0-9.-]</c> (<see cref="ArgumentException"/> whose ParamName is <c>scope</c> or <c>stream</c> otherwise).
/// A missing scope is reported as <see cref="ScopeNotFoundException"/> before any stream check, except by the
/// bool-returning <c>Delete*Async</c> methods, which return false. Each returned task completes once the change is
/// durable.
/// </summary>
public interface IStreamManager
{
    /// <summary>Creates a scope.</summary>
    /// <param name="scope">Name of the scope.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if created, false if it already existed.</returns>
    Task<bool> CreateScopeAsync(string scope, CancellationToken ct = default);

    /// <summary>Deletes an empty scope.</summary>
    /// <param name="scope">Name of the scope.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if deleted, false if it did not exist.</returns>
    /// <exception cref="InvalidOperationException">The scope still holds streams (or reader groups, tables).</exception>
    Task<bool> DeleteScopeAsync(string scope, CancellationToken ct = default);

    /// <summary>Lists the scopes.</summary>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The scope names.</returns>
    IAsyncEnumerable<string> ListScopesAsync(CancellationToken ct = default);

    /// <summary>Creates a stream with the initial segments of its scaling policy.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="config">Its configuration.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if created, false if it already existed (its configuration is left unchanged).</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    Task<bool> CreateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct = default);

    /// <summary>
    /// Changes a stream's scaling and retention policies. A fixed policy of another count, or a minimum above the active
    /// segments, rescales the stream to that many equal key ranges, together with the change (both or neither survive a
    /// crash); changing between fixed and rate policies is allowed either way.
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="config">The new configuration.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the new configuration is in effect.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    Task UpdateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct = default);

    /// <summary>
    /// Seals a stream: no more writes (writers then get <see cref="StreamSealedException"/>), while its data stays
    /// readable and readers reach its end. Sealing a sealed stream succeeds.
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the stream is sealed.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    Task SealStreamAsync(string scope, string stream, CancellationToken ct = default);

    /// <summary>Deletes a sealed stream and all its data.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>True if deleted, false if the scope or stream did not exist.</returns>
    /// <exception cref="InvalidOperationException">The stream is not sealed.</exception>
    Task<bool> DeleteStreamAsync(string scope, string stream, CancellationToken ct = default);

    /// <summary>Lists the streams of a scope; internal streams (names starting with <c>_</c>) never appear.</summary>
    /// <param name="scope">Name of the scope.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The stream names.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    IAsyncEnumerable<string> ListStreamsAsync(string scope, CancellationToken ct = default);

    /// <summary>Gets a stream's head, tail and sealed state.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The stream's current state.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    Task<StreamInfo> GetStreamInfoAsync(string scope, string stream, CancellationToken ct = default);

    /// <summary>
    /// Removes all data before <paramref name="cut"/>: segments entirely before it are deleted, the others are
    /// truncated at its offsets. Reads of removed data then throw <see cref="TruncatedDataException"/>.
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="cut">A cut of this stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the truncation is durable.</returns>
    /// <exception cref="ArgumentException"><paramref name="cut"/> is not a valid cut of this stream.</exception>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    Task TruncateStreamAsync(string scope, string stream, StreamCut cut, CancellationToken ct = default);

    /// <summary>Gets the stream's active segments with their key ranges, from their start offset to their current length.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The active segments, in ascending order of key range.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    Task<IReadOnlyList<SegmentRange>> GetActiveSegmentsAsync(string scope, string stream, CancellationToken ct = default);

    /// <summary>
    /// Scales a stream manually (split or merge): seals <paramref name="segmentsToSeal"/> and creates, in a new epoch,
    /// one segment per range of <paramref name="newRanges"/>, which must cover exactly the union of the sealed
    /// segments' ranges. The new segments are read only after the sealed ones are fully read.
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="segmentsToSeal">Ids of active segments to seal.</param>
    /// <param name="newRanges">Key ranges of the successor segments.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes when the new epoch is durable and active.</returns>
    /// <exception cref="ArgumentException">
    /// A segment is not active, or the new ranges do not exactly cover the sealed ones.
    /// </exception>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    Task ScaleStreamAsync(string scope, string stream, IReadOnlyList<long> segmentsToSeal,
                          IReadOnlyList<KeyRange> newRanges, CancellationToken ct = default);
}
