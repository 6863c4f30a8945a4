namespace Pravega.Embedded.Tier2;

/// <summary>Segment bytes <c>[Start, Start + Length)</c> are the bytes <c>[ChunkOffset, ChunkOffset + Length)</c> of <paramref name="Chunk"/>.</summary>
/// <param name="Chunk">The chunk's full name.</param>
/// <param name="Start">The segment offset of the extent's first byte.</param>
/// <param name="Length">How many bytes.</param>
/// <param name="ChunkOffset">Where in the chunk the extent begins (not 0 once a truncation cut the chunk's start away).</param>
internal readonly record struct ChunkExtent(string Chunk, long Start, long Length, long ChunkOffset = 0)
{
    /// <summary>The segment offset just past the extent.</summary>
    public long End => Start + Length;
}
