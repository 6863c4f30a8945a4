using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>Where the segment bytes <c>[Offset, Offset + Length)</c> lie in the WAL.</summary>
internal readonly record struct SegmentIndexEntry(long Offset, int Length, LogAddress Address)
{
    public long End => Offset + Length;
}
