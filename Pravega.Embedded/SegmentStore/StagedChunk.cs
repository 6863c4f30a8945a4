namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// One stage pass of an open transaction (docs/FORMAT.md, "Transaction staging"): its events
/// <c>[<paramref name="First"/>, First + <paramref name="Count"/>)</c> in write order, <paramref name="Length"/> bytes in the
/// Tier-2 chunk that <paramref name="Unique"/> names (<see cref="Tier2.ChunkNames.StagingChunk"/>), whose CRC-32C is
/// <paramref name="Crc"/> (a commit reads them back and checks it).
/// </summary>
internal readonly record struct StagedChunk(int First, int Count, int Length, Guid Unique, uint Crc);
