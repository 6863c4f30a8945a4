namespace Pravega.Embedded.Controller;

/// <summary>
/// The controller's part of a container checkpoint: records that, applied to an empty controller in order, rebuild
/// its state (docs/FORMAT.md, "Checkpoint"). They are ordinary metadata records (created scopes, seals, truncations,
/// retention cuts, snapshots) plus kinds only checkpoints write (a stream with its scale history among them), so a
/// checkpoint is applied by the same code that replays the WAL, and its replay cannot fail where the log's could not.
/// </summary>
internal sealed partial class StreamController
{
    /// <summary>The id the next stream gets: ids of deleted streams are never reused, so this is not implied by the streams.</summary>
    private const MetadataRecordType NextStreamIdRecord = (MetadataRecordType)32;

    /// <summary>A reader group's configuration and generation (a snapshot record, if any, follows).</summary>
    private const MetadataRecordType ReaderGroupStateRecord = (MetadataRecordType)33;

    /// <summary>Adds the records that rebuild this controller's state (container lock held).</summary>
    public void WriteCheckpoint(List<byte[]> records)
    {
        records.Add(MetadataCodec.Encode(NextStreamIdRecord, w => w.Write(_nextStreamId)));
        foreach (var scope in _scopes.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            records.Add(MetadataCodec.Encode(MetadataRecordType.CreateScope, w => w.Write(scope.Name)));
            foreach (var stream in scope.Streams.Values.OrderBy(s => s.Id)) WriteStream(stream, records);
            foreach (var group in scope.ReaderGroups.Values.OrderBy(g => g.Name, StringComparer.Ordinal)) WriteReaderGroup(group, records);
        }
    }

    private void WriteStream(StreamState stream, List<byte[]> records)
    {
        records.Add(EncodeStreamSegments(stream));
        if (stream.IsSealed) records.Add(MetadataCodec.Encode(MetadataRecordType.SealStream, w => w.Write(stream.Id)));
        var truncated = stream.AllSegments.Where(s => s.Data.AcceptedStartOffset > 0).OrderBy(s => s.SegmentId).ToList();
        if (truncated.Count > 0)
        {
            records.Add(MetadataCodec.Encode(MetadataRecordType.TruncateStream, w =>
            {
                w.Write(stream.Id);
                w.Write(truncated.Count);
                foreach (var s in truncated)
                {
                    w.Write(s.SegmentId);
                    w.Write(s.Data.AcceptedStartOffset);
                }
            }));
        }
        if (_retentionCuts.TryGetValue(stream.Id, out var cuts))
        {
            foreach (var cut in cuts)
            {
                records.Add(MetadataCodec.Encode(MetadataRecordType.RetentionCut, w =>
                {
                    w.Write(stream.Id);
                    w.Write(cut.UtcTicks);
                    w.Write(cut.Positions.Length);
                    foreach (var (segmentId, offset) in cut.Positions)
                    {
                        w.Write(segmentId);
                        w.Write(offset);
                    }
                }));
            }
        }
    }

    private static void WriteReaderGroup(ReaderGroupState group, List<byte[]> records)
    {
        records.Add(MetadataCodec.Encode(ReaderGroupStateRecord, w =>
        {
            w.Write(group.Scope);
            w.Write(group.Name);
            w.Write(group.Generation);
            MetadataCodec.Write(w, group.Config);
        }));
        if (group.Snapshot is { } snapshot)
        {
            records.Add(MetadataCodec.Encode(ReaderGroupSnapshotRecord, w =>
            {
                w.Write(group.Scope);
                w.Write(group.Name);
                snapshot.Write(w);
            }));
        }
    }

    private static bool IsCheckpointRecord(MetadataRecordType type) => type is NextStreamIdRecord or ReaderGroupStateRecord;

    private void ApplyCheckpointRecord(MetadataRecordType type, BinaryReader r)
    {
        if (type == NextStreamIdRecord)
        {
            _nextStreamId = Math.Max(_nextStreamId, r.ReadInt64());
            return;
        }
        string scope = r.ReadString(), name = r.ReadString();
        int generation = r.ReadInt32();
        var group = new ReaderGroupState(scope, name, MetadataCodec.ReadReaderGroupConfig(r)) { Generation = generation };
        _scopes[scope].ReaderGroups.Add(name, group);
    }
}
