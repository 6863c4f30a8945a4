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
}
