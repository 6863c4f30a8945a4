namespace Pravega.Embedded.Tier2;

/// <summary>
/// What readers know of a segment's tiered bytes: an immutable copy of its manifest (<see cref="SegmentManifest.Snapshot"/>),
/// published by the tierer after each committed pass.
/// </summary>
/// <param name="Extents">The chunks holding <c>[Start, TieredLength)</c>, in order.</param>
/// <param name="FirstBlock">The block of <paramref name="Boundaries"/>' first entry.</param>
/// <param name="Boundaries">The first event boundary at or after the start of each block from <paramref name="FirstBlock"/> on.</param>
/// <param name="Start">The first tiered offset kept.</param>
/// <param name="TieredLength">The offset up to which the bytes are tiered.</param>
internal sealed record TierView(ChunkExtent[] Extents, long FirstBlock, long[] Boundaries, long Start, long TieredLength)
{
    /// <summary>
    /// The bytes of the events that start in <paramref name="block"/> and at or after <paramref name="start"/> (a boundary):
    /// from the first such event to the first event of the next block (or the tiered end). Empty when none starts there.
    /// </summary>
    public (long From, long To) EventsOf(long block, long start)
    {
        long from = Math.Max(start, Math.Max(Start, BoundaryOf(block) ?? start));
        long to = TierBlocks.StartOf(block + 1) < TieredLength ? BoundaryOf(block + 1) ?? TieredLength : TieredLength;
        return (from, Math.Max(from, to));
    }

    /// <summary>The greatest recorded boundary at or before <paramref name="offset"/> (never below the start).</summary>
    public long KnownBoundaryAtOrBefore(long offset)
    {
        for (long block = TierBlocks.Of(offset); block >= FirstBlock; block--)
            if (BoundaryOf(block) is { } b && b <= offset) return Math.Max(b, Start);
        return Start;
    }

    private long? BoundaryOf(long block)
    {
        long i = block - FirstBlock;
        return i >= 0 && i < Boundaries.Length ? Boundaries[i] : null;
    }
}
