namespace Pravega.Embedded.Controller;

/// <summary>First byte of a controller metadata record (docs/FORMAT.md).</summary>
internal enum MetadataRecordType : byte
{
    CreateScope = 1,
    DeleteScope = 2,
    CreateStream = 3,
    UpdateStream = 4,
    SealStream = 5,
    DeleteStream = 6,
    CreateReaderGroup = 7,
    DeleteReaderGroup = 8,

    /// <summary>Segment start offsets move forward (truncation by the API or by retention).</summary>
    TruncateStream = 9,

    /// <summary>A stream's tail cut and the time it was taken, for time-based retention.</summary>
    RetentionCut = 10,

    // 11..15: reserved for truncation and retention; 16 and up: reader groups.
}
