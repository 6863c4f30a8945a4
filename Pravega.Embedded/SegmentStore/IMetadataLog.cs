namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The layer above (the controller) whose metadata changes are WAL records of the container. It applies each
/// record to its state, when written and again on replay, always under the container lock, and may create,
/// seal and delete segments while it does.
/// </summary>
internal interface IMetadataLog
{
    void Apply(ReadOnlySpan<byte> record, SegmentContainer container);

    /// <summary>
    /// Adds the records that rebuild this layer's state from nothing, applied by <see cref="Apply"/> to an empty
    /// instance (a container checkpoint); under the container lock.
    /// </summary>
    void WriteCheckpoint(List<byte[]> records);
}
