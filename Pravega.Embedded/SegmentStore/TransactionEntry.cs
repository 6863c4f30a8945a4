using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// An event of an open transaction: its routing point and where its segment bytes (<c>[i32 length][event]</c>,
/// <paramref name="Length"/> bytes) lie in the WAL. A commit turns it into a segment index entry without copying.
/// </summary>
internal readonly record struct TransactionEntry(double Point, int Length, LogAddress Address);
