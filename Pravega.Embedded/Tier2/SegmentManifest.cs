namespace Pravega.Embedded.Tier2;

/// <summary>
/// Where a segment's tiered bytes are: contiguous extents of chunks covering <c>[Start, TieredLength)</c>, as its manifest
/// chunk says once cut to what the container metadata committed (<see cref="Load"/>).
/// </summary>
internal sealed class SegmentManifest
{
    private readonly List<ChunkExtent> _extents = [];

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
        foreach (var extent in ManifestFormat.Parse(bytes, storeId)) manifest.ApplyRecord(extent);
        manifest.Cut(start, tieredLength);
        if (tieredLength > start && (manifest._extents.Count == 0 || manifest._extents[0].Start > start || manifest.TieredLength != tieredLength))
            throw new StorageCorruptedException(
                $"The Tier-2 manifest '{manifestName}' does not describe the segment's tiered bytes [{start}, {tieredLength}) " +
                $"(it covers [{manifest.Start}, {manifest.TieredLength})): the manifest or its chunks were damaged or removed.",
                directory: null, manifestName, offset: null, lsn: null);
        return manifest;
    }

    /// <summary>An empty manifest of a segment none of whose bytes are tiered yet, from <paramref name="start"/> on.</summary>
    public static SegmentManifest Empty(long start) => new() { TieredLength = start };

    /// <summary>
    /// Applies a record: the segment's bytes from its start on are now in its chunk (what was there before from that
    /// offset on is superseded). A record that would leave a gap before it is ignored: no pass writes one (each starts
    /// where the committed extents end), so it can only be an unsynced leftover that a crash kept.
    /// </summary>
    public void ApplyRecord(ChunkExtent extent)
    {
        while (_extents.Count > 0 && _extents[^1].Start >= extent.Start) _extents.RemoveAt(_extents.Count - 1);
        if (_extents.Count > 0)
        {
            var last = _extents[^1];
            if (last.End < extent.Start) return;
            if (last.End > extent.Start) _extents[^1] = last with { Length = extent.Start - last.Start };
        }
        _extents.Add(extent);
        TieredLength = extent.End;
    }

    /// <summary>Index of the extent that holds <paramref name="offset"/>; -1 when none does.</summary>
    public int Find(long offset)
    {
        int lo = 0, hi = _extents.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = _extents[mid];
            if (offset < e.Start) hi = mid - 1;
            else if (offset >= e.End) lo = mid + 1;
            else return mid;
        }
        return -1;
    }

    /// <summary>
    /// Makes <paramref name="extent"/> part of the manifest durably: appends its record to the manifest chunk (created if
    /// missing) and syncs it, then applies it here. Its chunk's bytes must be synced before; the container records the
    /// new tiered length only after this returned.
    /// </summary>
    public async ValueTask CommitAsync(IChunkStorage storage, string manifestName, Guid storeId, ChunkExtent extent, CancellationToken ct)
    {
        var record = ManifestFormat.EncodeExtent(storeId, extent.Chunk, extent.Start, extent.Length);
        long? length = await storage.GetLengthAsync(manifestName, ct).ConfigureAwait(false);
        if (length is null) await storage.CreateAsync(manifestName, ct).ConfigureAwait(false);
        await storage.AppendAsync(manifestName, length ?? 0, record, ct).ConfigureAwait(false);
        await storage.SyncAsync(manifestName, ct).ConfigureAwait(false);
        long keep = Start; // a record describes its chunk from its first byte, also bytes truncated away since
        ApplyRecord(extent);
        Cut(keep, TieredLength);
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
    }
}
