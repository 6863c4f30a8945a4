namespace Pravega.Embedded.SegmentStore;

/// <summary>First byte of every WAL record payload (docs/FORMAT.md).</summary>
internal enum RecordType : byte
{
    /// <summary>An event appended to a segment, with its writer id and event number.</summary>
    Append = 1,

    /// <summary>A controller metadata change, opaque to the container.</summary>
    Metadata = 2,

    /// <summary>Checkpoint only: a segment's length and where its live bytes begin in the WAL.</summary>
    SegmentState = 3,

    /// <summary>Checkpoint only: a writer id's last event number on a stream.</summary>
    WriterState = 4,

    /// <summary>A segment's bytes up to a length are in Tier-2 (its manifest describes them durably).</summary>
    SegmentTiered = 5,

    /// <summary>A transaction begins on a stream (its id, writer id and timeout).</summary>
    TransactionBegin = 6,

    /// <summary>An event written into an open transaction: invisible until the transaction's commit places it.</summary>
    TransactionAppend = 7,

    /// <summary>A transaction commits: its events are appended to the segments its commit routed them to.</summary>
    TransactionCommit = 8,

    /// <summary>A transaction aborts (by the caller or its timeout): its events are dropped.</summary>
    TransactionAbort = 9,

    /// <summary>Checkpoint only: a transaction that is open, or finished and still remembered.</summary>
    TransactionState = 10,

    /// <summary>A chunk of a byte stream's bytes in an open flush unit (a transaction whose commit places them unframed).</summary>
    TransactionBytes = 11,

    /// <summary>An open transaction's oldest events are staged in Tier-2 (one chunk): they leave the WAL.</summary>
    TransactionStaged = 12,

    /// <summary>A staged event of a transaction being committed, written to the WAL again (its point and bytes; the next staged one in order).</summary>
    TransactionRelog = 13,

    /// <summary>Events of one writer appended to segments of one stream, in runs per segment: one record for many appends.</summary>
    AppendBatch = 14,
}
