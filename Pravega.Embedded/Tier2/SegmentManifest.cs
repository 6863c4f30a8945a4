namespace Pravega.Embedded.Tier2;

/// <summary>
/// Where a segment's tiered bytes are: contiguous extents of chunks covering <c>[Start, TieredLength)</c>, and the first
/// event boundary of each <see cref="TierBlocks"/> block after the start, as its manifest chunk says once cut to what the
/// container metadata committed (<see cref="Load"/>). Owned by one writer at a time; readers use <see cref="Snapshot"/>.
/// </summary>
internal sealed class SegmentManifest
{
    private readonly List<ChunkExtent> _extents = [];
    private const long UnknownBoundary = -1;
    private readonly List<long> _boundaries = []; // block _firstBlock + i
    private long _firstBlock;

    /// <summary>The extents in segment order, contiguous.</summary>
    public IReadOnlyList<ChunkExtent> Extents => _extents;

    /// <summary>The first tiered offset still kept (the segment's start after truncation, or where tiering began).</summary>
    public long Start => _extents.Count == 0 ? TieredLength : _extents[0].Start;

    /// <summary>The segment offset up to which the bytes are in Tier-2.</summary>
    public long TieredLength { get; private set; }

    /// <summary>
    /// The manifest as committed: the records of <paramref name="bytes"/> applied in order, then everything before
    /// <paramref name="start"/> and from <paramref name="tieredLength"/> on cut away.
    /// </summary>
    /// <exception cref="StorageCorruptedException">The records do not cover <c>[start, tieredLength)</c>: bytes the metadata says are tiered are not described (damage).</exception>
    public static SegmentManifest Load(ReadOnlySpan<byte> bytes, Guid storeId, long start, long tieredLength, string manifestName)
    {
        var manifest = new SegmentManifest();
        foreach (var record in ManifestFormat.Parse(bytes, storeId)) manifest.ApplyRecord(record);
        manifest.Cut(start, tieredLength);
        if (tieredLength > start && (manifest._extents.Count == 0 || manifest._extents[0].Start > start || manifest.TieredLength != tieredLength || !manifest.IsWhole()))
            throw new StorageCorruptedException(
                $"The Tier-2 manifest '{manifestName}' does not describe the segment's tiered bytes [{start}, {tieredLength}) " +
                $"(it covers [{manifest.Start}, {manifest.TieredLength})): the manifest or its chunks were damaged or removed.",
                directory: null, manifestName, offset: null, lsn: null);
        return manifest;
    }

    /// <summary>An empty manifest of a segment none of whose bytes are tiered yet, from <paramref name="start"/> on.</summary>
    public static SegmentManifest Empty(long start) => new() { TieredLength = start, _firstBlock = TierBlocks.Of(start) + 1 };

    /// <summary>
    /// Applies a record: the segment's bytes from its start on are now in its chunk (what was there before from that
    /// offset on is superseded), and its blocks' boundaries replace earlier ones. A record that starts beyond the end of
    /// the extents before it leaves a gap: a pass wrote it after a truncation skipped the bytes between (a pass starts at
    /// the segment's durable start when that is beyond the tiered length), so the gap lies below the start and the cut
    /// removes it; the extents before it stay until then.
    /// </summary>
    public void ApplyRecord(ManifestRecord record)
    {
        var extent = record.Extent;
        while (_extents.Count > 0 && _extents[^1].Start >= extent.Start) _extents.RemoveAt(_extents.Count - 1);
        if (_extents.Count > 0 && _extents[^1].End > extent.Start) _extents[^1] = _extents[^1] with { Length = extent.Start - _extents[^1].Start };
        if (_extents.Count == 0 && _boundaries.Count == 0) _firstBlock = TierBlocks.Of(extent.Start) + 1;
        _extents.Add(extent);
        TieredLength = extent.End;
        SetBoundaries(record.FirstBlock, record.Boundaries);
    }

    /// <summary>Index of the extent that holds <paramref name="offset"/>; -1 when none does.</summary>
    public int Find(long offset) => Find(_extents, offset);

    /// <summary>An immutable copy for readers, valid as long as the bytes it describes are not truncated away.</summary>
    public TierView Snapshot() => new([.. _extents], _firstBlock, [.. _boundaries], Start, TieredLength);

    /// <summary>
    /// Makes <paramref name="extent"/> part of the manifest durably: appends its record (with <paramref name="boundaries"/>,
    /// the first event boundary of each block from <paramref name="firstBlock"/> on that the pass tiered) to the manifest
    /// chunk (created if missing) and syncs it, then applies it here. Its chunk's bytes must be synced before; the
    /// container records the new tiered length only after this returned.
    /// </summary>
    public async ValueTask CommitAsync(IChunkStorage storage, string manifestName, Guid storeId, ChunkExtent extent, long firstBlock, long[] boundaries, CancellationToken ct)
    {
        var record = ManifestFormat.EncodeExtent(storeId, extent.Chunk, extent.Start, extent.Length, firstBlock, boundaries);
        long? length = await storage.GetLengthAsync(manifestName, ct).ConfigureAwait(false);
        if (length is null) await storage.CreateAsync(manifestName, ct).ConfigureAwait(false);
        await storage.AppendAsync(manifestName, length ?? 0, record, ct).ConfigureAwait(false);
        await storage.SyncAsync(manifestName, ct).ConfigureAwait(false);
        long keep = Start; // a record describes its chunk from its first byte, also bytes truncated away since
        ApplyRecord(new ManifestRecord(extent, firstBlock, boundaries));
        Cut(keep, TieredLength);
    }

    /// <summary>Forgets the extents wholly before <paramref name="start"/> (a durable truncation); returns the chunks no extent refers to any more.</summary>
    public List<string> TruncateTo(long start)
    {
        var before = _extents.Select(e => e.Chunk).ToHashSet(StringComparer.Ordinal);
        Cut(Math.Max(start, Start), Math.Max(TieredLength, start));
        if (TieredLength < start) TieredLength = start;
        foreach (var e in _extents) before.Remove(e.Chunk);
        return [.. before];
    }

    internal static int Find(IReadOnlyList<ChunkExtent> extents, long offset)
    {
        int lo = 0, hi = extents.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = extents[mid];
            if (offset < e.Start) hi = mid - 1;
            else if (offset >= e.End) lo = mid + 1;
            else return mid;
        }
        return -1;
    }

    private void SetBoundaries(long firstBlock, long[] boundaries)
    {
        for (int i = 0; i < boundaries.Length; i++)
        {
            long index = firstBlock + i - _firstBlock;
            if (index < 0) continue; // a block holding the start: read from the start
            while (_boundaries.Count < index) _boundaries.Add(UnknownBoundary); // blocks in a gap: below the start once cut
            if (index < _boundaries.Count) _boundaries[(int)index] = boundaries[i];
            else _boundaries.Add(boundaries[i]);
        }
    }

    /// <summary>
    /// The extents are contiguous from <see cref="Start"/> to <see cref="TieredLength"/>, and every block starting after
    /// the start and before the tiered length has its boundary.
    /// </summary>
    private bool IsWhole()
    {
        for (int i = 1; i < _extents.Count; i++)
            if (_extents[i - 1].End != _extents[i].Start) return false;
        return TieredLength <= Start ||
               (_boundaries.Count >= TierBlocks.FirstStartingAtOrAfter(TieredLength) - _firstBlock && !_boundaries.Contains(UnknownBoundary));
    }

    private void Cut(long start, long tieredLength)
    {
        for (int i = _extents.Count - 1; i >= 0; i--)
        {
            var e = _extents[i];
            if (e.Start >= tieredLength || e.End <= start || e.Length == 0) _extents.RemoveAt(i);
            else if (e.End > tieredLength) _extents[i] = e with { Length = tieredLength - e.Start };
        }
        if (_extents.Count > 0 && _extents[0].Start < start)
        {
            var first = _extents[0];
            long skip = start - first.Start;
            _extents[0] = first with { Start = start, Length = first.Length - skip, ChunkOffset = first.ChunkOffset + skip };
        }
        TieredLength = _extents.Count == 0 ? Math.Max(start, Math.Min(TieredLength, tieredLength)) : _extents[^1].End;
        // Blocks: only those starting after the start and before the tiered length are needed.
        long keepFrom = TierBlocks.Of(Start) + 1;
        long keepTo = TierBlocks.FirstStartingAtOrAfter(TieredLength); // exclusive
        int drop = (int)Math.Clamp(keepFrom - _firstBlock, 0, _boundaries.Count);
        if (drop > 0)
        {
            _boundaries.RemoveRange(0, drop);
            _firstBlock += drop;
        }
        if (_boundaries.Count == 0) _firstBlock = keepFrom;
        long keepCount = Math.Max(0, keepTo - _firstBlock);
        if (_boundaries.Count > keepCount) _boundaries.RemoveRange((int)keepCount, _boundaries.Count - (int)keepCount);
    }
}
