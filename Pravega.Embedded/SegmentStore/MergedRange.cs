using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// Segment bytes <c>[Start, End)</c> placed by one transaction commit (the record at <paramref name="CommitAddress"/>).
/// Their index entries point at the transaction's earlier append records, the oldest in <paramref name="FirstFile"/>:
/// the WAL keeps that file while any of these bytes is live and not in Tier-2, and a checkpoint whose first live byte
/// lies here makes replay start the segment's bytes at this commit.
/// </summary>
internal readonly record struct MergedRange(long Start, long End, LogAddress CommitAddress, long FirstFile)
{
    public bool Contains(long offset) => offset >= Start && offset < End;
}
