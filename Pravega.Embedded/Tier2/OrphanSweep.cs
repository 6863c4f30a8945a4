namespace Pravega.Embedded.Tier2;

/// <summary>
/// Removes, at open and before the tierer starts, every chunk no committed manifest refers to: data chunks a crash left
/// unreferenced (created or filled, but the pass never committed), chunks a truncation or deletion had not yet removed,
/// the manifests of segments that no longer exist, and the staged events of transactions that are no longer open.
/// </summary>
internal static class OrphanSweep
{
    /// <param name="storage">The Tier-2 storage.</param>
    /// <param name="live">Every existing segment's prefix (<see cref="ChunkNames.SegmentPrefix"/>) and its committed manifest.</param>
    /// <param name="ct">Cancels the sweep between deletions.</param>
    /// <returns>The names of the chunks removed.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(IChunkStorage storage, IReadOnlyDictionary<string, SegmentManifest> live, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (string name in storage.ListAsync("", ct).ConfigureAwait(false)) names.Add(name);
        return await RunAsync(storage, live, names, new HashSet<string>(StringComparer.Ordinal), ct).ConfigureAwait(false);
    }

    /// <summary>The sweep over chunk names the caller listed already (<see cref="IChunkStorage.ListAsync"/> of the root).</summary>
    /// <param name="storage">The Tier-2 storage.</param>
    /// <param name="live">Every existing segment's prefix and its committed manifest.</param>
    /// <param name="names">Every chunk's name.</param>
    /// <param name="staged">The data chunks that metadata other than manifests refers to (open transactions' staged events).</param>
    /// <param name="ct">Cancels the sweep between deletions.</param>
    /// <returns>The names of the chunks removed.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(
        IChunkStorage storage, IReadOnlyDictionary<string, SegmentManifest> live, IReadOnlyList<string> names, IReadOnlySet<string> staged, CancellationToken ct)
    {
        var referenced = new HashSet<string>(staged, StringComparer.Ordinal);
        foreach (var manifest in live.Values)
            foreach (var extent in manifest.Extents) referenced.Add(extent.Chunk);
        var orphans = new List<string>();
        foreach (string name in names)
        {
            int slash = name.LastIndexOf('/');
            if (ChunkNames.IsDataChunk(name))
            {
                if (!referenced.Contains(name)) orphans.Add(name);
            }
            else if (name[(slash + 1)..] == ChunkNames.ManifestName && !live.ContainsKey(slash < 0 ? "" : name[..slash]))
            {
                orphans.Add(name);
            }
        }
        foreach (string name in orphans) await storage.DeleteAsync(name, ct).ConfigureAwait(false);
        return orphans;
    }
}
