namespace Pravega.Embedded.Tier1;

/// <summary>Where a record's payload lies in the WAL: file sequence number and byte position of the payload.</summary>
internal readonly record struct LogAddress(long FileSequence, int Position);
