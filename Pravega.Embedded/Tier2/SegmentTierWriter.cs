namespace Pravega.Embedded.Tier2;

/// <summary>
/// Moves one segment's bytes into Tier-2, one pass at a time, in the order that keeps every committed byte readable
/// after a crash or power failure at any point (docs/FORMAT.md, "Tier-2"):
/// <list type="number">
/// <item>append the pass's bytes to the segment's current chunk, or to a new one (created durably first);</item>
/// <item>sync the chunk;</item>
/// <item>append the extent's record to the manifest and sync it (<see cref="SegmentManifest.CommitAsync"/>);</item>
/// <item>(the caller) record the new tiered length in the container metadata; only then may Tier-1 let the bytes go.</item>
/// </list>
/// </summary>
/// <remarks>
/// A chunk is continued only when its length is exactly what the committed manifest says it holds: after a crash it may
/// hold bytes a pass appended but never committed, and chunks are append-only, so the next pass starts a new chunk (the
/// old one stays referenced up to its committed length, and its tail is never read). Any failure fails the writer: a
/// failed sync leaves unsynced bytes unknown, and nothing is retried; the next open starts again from what was committed.
/// </remarks>
internal sealed class SegmentTierWriter
{
    private readonly IChunkStorage _storage;
    private readonly Guid _storeId;
    private readonly string _prefix;
    private readonly string _manifestName;
    private readonly long _maxChunkLength;
    private readonly Func<Guid> _newIds;
    private Exception? _failure;

    /// <param name="storage">Tier-2.</param>
    /// <param name="storeId">The store's id (manifest records carry it in their CRC).</param>
    /// <param name="segmentPrefix">The segment's <see cref="ChunkNames.SegmentPrefix"/>.</param>
    /// <param name="manifest">The segment's committed manifest (<see cref="SegmentManifest.Load"/>); the writer extends it.</param>
    /// <param name="maxChunkLength">A chunk is not continued beyond this length (a pass may exceed it once).</param>
    /// <param name="newIds">Where the unique part of new chunk names comes from.</param>
    public SegmentTierWriter(IChunkStorage storage, Guid storeId, string segmentPrefix, SegmentManifest manifest, long maxChunkLength, Func<Guid> newIds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkLength);
        _storage = storage;
        _storeId = storeId;
        _prefix = segmentPrefix;
        _manifestName = ChunkNames.Manifest(segmentPrefix);
        _maxChunkLength = maxChunkLength;
        _newIds = newIds;
        Manifest = manifest;
    }

    /// <summary>What is committed in Tier-2 (including this writer's passes that completed).</summary>
    public SegmentManifest Manifest { get; }

    /// <summary>The segment's prefix (<see cref="ChunkNames.SegmentPrefix"/>).</summary>
    public string Prefix => _prefix;

    /// <summary>An earlier pass failed: this writer writes nothing more (tiering of the segment resumes after a reopen).</summary>
    public bool Failed => _failure is not null;

    /// <summary>
    /// Tiers the segment's bytes <c>[Manifest.TieredLength, + data.Length)</c>, whole events; completes once the manifest
    /// describes them durably, and the caller then commits the new <see cref="SegmentManifest.TieredLength"/>.
    /// </summary>
    /// <param name="data">The bytes, starting and ending at event boundaries.</param>
    /// <param name="boundaries">
    /// The first event boundary at or after the start of each block that starts within the pass's bytes, in order
    /// (<see cref="TierBlocks.FirstStartingAtOrAfter"/> of the pass's start is the first).
    /// </param>
    /// <param name="ct">Cancels the pass (which then fails the writer: the chunk's state is unknown).</param>
    /// <exception cref="InvalidOperationException">An earlier pass failed (its exception is the inner one).</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long[] boundaries, CancellationToken ct)
    {
        if (_failure is not null) throw new InvalidOperationException($"Tiering of '{_prefix}' failed earlier; it resumes after the store is reopened.", _failure);
        if (data.IsEmpty) return;
        try
        {
            long start = Manifest.TieredLength;
            var (chunk, chunkStart, chunkLength) = await ChunkToAppendToAsync(start, ct).ConfigureAwait(false);
            await _storage.AppendAsync(chunk, chunkLength, data, ct).ConfigureAwait(false);
            await _storage.SyncAsync(chunk, ct).ConfigureAwait(false);
            var extent = new ChunkExtent(chunk, chunkStart, chunkLength + data.Length);
            await Manifest.CommitAsync(_storage, _manifestName, _storeId, extent, TierBlocks.FirstStartingAtOrAfter(start), boundaries, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _failure = e; // also a cancelled pass: it leaves a chunk in a state this writer does not know
            throw;
        }
    }

    /// <returns>The chunk, the segment offset of its first byte, and its current (committed) length.</returns>
    private async ValueTask<(string Chunk, long ChunkStart, long Length)> ChunkToAppendToAsync(long start, CancellationToken ct)
    {
        if (Manifest.Extents.Count > 0)
        {
            var last = Manifest.Extents[^1];
            long committed = last.ChunkOffset + last.Length;
            if (last.End == start && committed < _maxChunkLength && await _storage.GetLengthAsync(last.Chunk, ct).ConfigureAwait(false) == committed)
                return (last.Chunk, last.Start - last.ChunkOffset, committed);
        }
        string name = ChunkNames.DataChunk(_prefix, start, _newIds());
        await _storage.CreateAsync(name, ct).ConfigureAwait(false);
        return (name, start, 0);
    }
}
