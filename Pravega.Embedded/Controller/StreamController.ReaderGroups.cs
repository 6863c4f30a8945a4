namespace Pravega.Embedded.Controller;

/// <summary>Reader groups: their definitions (and, with the reader-group issue, their durable state).</summary>
internal sealed partial class StreamController
{
    public async Task<bool> CreateReaderGroupAsync(string scope, string group, ReaderGroupConfig config, CancellationToken ct)
    {
        long lsn;
        lock (Lock)
        {
            if (RequireScope(scope).ReaderGroups.ContainsKey(group)) return false;
            foreach (var s in config.Streams) RequireStream(s.Scope, s.Stream);
            lsn = _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.CreateReaderGroup, w =>
            {
                w.Write(scope);
                w.Write(group);
                MetadataCodec.Write(w, config);
            }));
        }
        await WhenDurable(lsn, ct).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> DeleteReaderGroupAsync(string scope, string group, CancellationToken ct)
    {
        long lsn;
        lock (Lock)
        {
            if (!_scopes.TryGetValue(scope, out var sc) || !sc.ReaderGroups.ContainsKey(group)) return false;
            lsn = _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.DeleteReaderGroup, w =>
            {
                w.Write(scope);
                w.Write(group);
            }));
        }
        await WhenDurable(lsn, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>The group, or <see cref="ScopeNotFoundException"/> / <see cref="ReaderGroupNotFoundException"/>.</summary>
    public ReaderGroupState GetReaderGroup(string scope, string group)
    {
        lock (Lock)
        {
            return RequireScope(scope).ReaderGroups.TryGetValue(group, out var g)
                ? g
                : throw new ReaderGroupNotFoundException($"Reader group '{group}' does not exist in scope '{scope}'.");
        }
    }

    private static bool IsReaderGroupRecord(MetadataRecordType type) =>
        type is MetadataRecordType.CreateReaderGroup or MetadataRecordType.DeleteReaderGroup;

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
        }
    }
}
