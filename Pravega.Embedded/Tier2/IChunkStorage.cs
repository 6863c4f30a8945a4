namespace Pravega.Embedded.Tier2;

/// <summary>
/// Long-term storage (Tier-2) as chunks: named, append-only byte sequences that hold a segment's data once it leaves
/// the WAL. The filesystem implementation is <see cref="FileSystemChunkStorage"/>; the shape (append only at the current
/// length, an explicit sync, sealing, listing by prefix) is what an object store or HDFS backend can implement too.
/// </summary>
/// <remarks>
/// <para>Names are relative paths of non-empty components separated by <c>/</c> (<see cref="ChunkNames"/>); a chunk's
/// name never changes and is never reused.</para>
/// <para>Durability: a chunk created by <see cref="CreateAsync"/> exists after any power failure once it returned;
/// appended bytes are durable only once a later <see cref="SyncAsync"/> of the chunk returned. Callers reference a
/// chunk's bytes from metadata only after that, so bytes a crash can take back are never referenced. A failed sync
/// leaves the chunk's unsynced bytes unknown: callers stop using the chunk (never retry the sync) and write elsewhere.</para>
/// <para>Safe for concurrent calls on different chunks, and for reads concurrent with appends on one chunk; appends to
/// one chunk come from one caller at a time.</para>
/// </remarks>
internal interface IChunkStorage : IAsyncDisposable
{
    /// <summary>Creates an empty chunk, durably.</summary>
    /// <exception cref="ChunkExistsException">A chunk of this name exists.</exception>
    ValueTask CreateAsync(string name, CancellationToken ct);

    /// <summary>
    /// Appends <paramref name="data"/> at <paramref name="offset"/>, which must be the chunk's current length (so that a
    /// caller that lost track after a crash cannot overwrite bytes); not durable until <see cref="SyncAsync"/>.
    /// </summary>
    /// <exception cref="ChunkNotFoundException">No chunk has this name.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="offset"/> is not the current length, or the chunk is sealed.</exception>
    ValueTask AppendAsync(string name, long offset, ReadOnlyMemory<byte> data, CancellationToken ct);

    /// <summary>Makes every byte appended to the chunk so far durable.</summary>
    /// <exception cref="ChunkNotFoundException">No chunk has this name.</exception>
    ValueTask SyncAsync(string name, CancellationToken ct);

    /// <summary>No more appends to the chunk (in this process; what a chunk holds is told by the metadata that references it).</summary>
    ValueTask SealAsync(string name, CancellationToken ct);

    /// <summary>
    /// Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; returns how many were read (fewer only
    /// at the end of the chunk).
    /// </summary>
    /// <exception cref="ChunkNotFoundException">No chunk has this name.</exception>
    ValueTask<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken ct);

    /// <summary>The chunk's current length (including bytes not yet synced); null when no chunk has this name.</summary>
    ValueTask<long?> GetLengthAsync(string name, CancellationToken ct);

    /// <summary>Deletes the chunk, durably; nothing happens if it does not exist.</summary>
    ValueTask DeleteAsync(string name, CancellationToken ct);

    /// <summary>The names of every chunk whose name starts with <paramref name="prefix"/> + <c>/</c> (all chunks for an empty prefix), in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct);
}
