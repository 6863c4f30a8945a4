namespace Pravega.Embedded.Controller;

/// <summary>Reader groups: their definitions, resets and durable snapshots, as metadata records.</summary>
internal sealed partial class StreamController
{
    private const MetadataRecordType ReaderGroupSnapshotRecord = (MetadataRecordType)16;
    private const MetadataRecordType ResetReaderGroupRecord = (MetadataRecordType)17;

    /// <summary>
    /// Records a group's state durably; nothing if the group is no longer the one its scope holds under that name
    /// (deleted, re-created) or was reset since the snapshot was taken.
    /// </summary>
    public Task SaveReaderGroupSnapshotAsync(ReaderGroupState group, ReaderGroupSnapshot snapshot, CancellationToken ct) => Run(() =>
    {
        if (!IsCurrent(group) || group.Generation != snapshot.Generation) return false;
        _container.AppendMetadata(MetadataCodec.Encode(ReaderGroupSnapshotRecord, w =>
        {
            w.Write(group.Scope);
            w.Write(group.Name);
            snapshot.Write(w);
        }));
        return true;
    }, ct);

    /// <summary>Gives a group a new configuration and generation; its readers must reinitialize.</summary>
    public Task ResetReaderGroupAsync(string scope, string group, ReaderGroupConfig config, CancellationToken ct) => Run(() =>
    {
        if (!RequireScope(scope).ReaderGroups.ContainsKey(group))
            throw new ReaderGroupNotFoundException($"Reader group '{group}' does not exist in scope '{scope}'.");
        ValidateSelections(config);
        _container.AppendMetadata(MetadataCodec.Encode(ResetReaderGroupRecord, w =>
        {
            w.Write(scope);
            w.Write(group);
            MetadataCodec.Write(w, config);
        }));
        return true;
    }, ct);

    public Task<bool> CreateReaderGroupAsync(string scope, string group, ReaderGroupConfig config, CancellationToken ct) => Run(() =>
    {
        if (RequireScope(scope).ReaderGroups.ContainsKey(group)) return false;
        ValidateSelections(config);
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.CreateReaderGroup, w =>
        {
            w.Write(scope);
            w.Write(group);
            MetadataCodec.Write(w, config);
        }));
        return true;
    }, ct);

    public Task<bool> DeleteReaderGroupAsync(string scope, string group, CancellationToken ct) => Run(() =>
    {
        if (!_scopes.TryGetValue(scope, out var sc) || !sc.ReaderGroups.ContainsKey(group)) return false;
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.DeleteReaderGroup, w =>
        {
            w.Write(scope);
            w.Write(group);
        }));
        return true;
    }, ct);

    /// <summary>
    /// The group, or <see cref="ScopeNotFoundException"/> / <see cref="ReaderGroupNotFoundException"/>, as accepted: a
    /// caller that reports what it found first waits for <see cref="WhenObservedDurableAsync"/>.
    /// </summary>
    public ReaderGroupState GetReaderGroup(string scope, string group)
    {
        lock (Lock)
        {
            return RequireScope(scope).ReaderGroups.TryGetValue(group, out var g)
                ? g
                : throw new ReaderGroupNotFoundException($"Reader group '{group}' does not exist in scope '{scope}'.");
        }
    }

    /// <summary>
    /// Every selected stream exists, and its start and end cuts are valid cuts of it (Pravega's rule, as for
    /// truncation), with no end before its start (container lock). Otherwise the scope/stream exceptions, or
    /// <see cref="ArgumentException"/> for parameter <c>config</c>.
    /// </summary>
    private void ValidateSelections(ReaderGroupConfig config)
    {
        foreach (var selection in config.Streams)
        {
            var stream = RequireStream(selection.Scope, selection.Stream);
            var start = selection.Start is { IsUnbounded: false } s ? ResolveCut(stream, s, nameof(config)) : null;
            var end = selection.End is { IsUnbounded: false } e ? ResolveCut(stream, e, nameof(config)) : null;
            if (start is null || end is null) continue;
            foreach (var (segment, endOffset) in end)
                foreach (var (other, startOffset) in start)
                    if (ReferenceEquals(segment, other) && endOffset < startOffset)
                        throw new ArgumentException($"The end cut of {stream} is before its start cut in segment {segment.SegmentId}.", nameof(config));
        }
    }

    /// <summary>The group is the one its scope holds under its name (container lock).</summary>
    private bool IsCurrent(ReaderGroupState group) =>
        !group.IsDeleted && _scopes.TryGetValue(group.Scope, out var scope)
        && scope.ReaderGroups.TryGetValue(group.Name, out var current) && ReferenceEquals(current, group);

    private static bool IsReaderGroupRecord(MetadataRecordType type) =>
        type is MetadataRecordType.CreateReaderGroup or MetadataRecordType.DeleteReaderGroup
            or ReaderGroupSnapshotRecord or ResetReaderGroupRecord;

    private void ApplyReaderGroupRecord(MetadataRecordType type, BinaryReader r)
    {
        switch (type)
        {
            case MetadataRecordType.CreateReaderGroup:
            {
                string scope = r.ReadString(), name = r.ReadString();
                _scopes[scope].ReaderGroups.Add(name, new ReaderGroupState(scope, name, MetadataCodec.ReadReaderGroupConfig(r)));
                break;
            }
            case MetadataRecordType.DeleteReaderGroup:
            {
                var groups = _scopes[r.ReadString()].ReaderGroups;
                string name = r.ReadString();
                if (groups.Remove(name, out var g)) g.IsDeleted = true;
                break;
            }
            case ReaderGroupSnapshotRecord:
            {
                // Written only for the group its scope holds, of the snapshot's generation (checked at the write, in
                // record order); checked again here, so that a record written before that check existed (the group or
                // its scope since deleted) is skipped instead of making the store unopenable.
                string scope = r.ReadString(), name = r.ReadString();
                var snapshot = ReaderGroupSnapshot.Read(r);
                if (_scopes.TryGetValue(scope, out var sc) && sc.ReaderGroups.TryGetValue(name, out var g) && g.Generation == snapshot.Generation)
                    g.Snapshot = snapshot;
                break;
            }
            case ResetReaderGroupRecord:
            {
                var g = _scopes[r.ReadString()].ReaderGroups[r.ReadString()];
                g.Config = MetadataCodec.ReadReaderGroupConfig(r);
                g.Generation++;
                g.Snapshot = null;
                break;
            }
        }
    }
}
