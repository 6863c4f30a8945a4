namespace Pravega.Embedded.Tests.Simulation;

/// <summary>What tests read to assert: the durable and the volatile state side by side.</summary>
internal sealed partial class SimulatedDevice
{
    /// <summary>Every path that names a file now or durably, in ordinal order.</summary>
    public IReadOnlyList<SimulatedFileState> Files()
    {
        lock (Gate)
        {
            var paths = new SortedSet<string>(_visible.Keys, StringComparer.Ordinal);
            paths.UnionWith(_durable.Keys);
            var files = new List<SimulatedFileState>(paths.Count);
            foreach (string path in paths)
            {
                _visible.TryGetValue(path, out var now);
                _durable.TryGetValue(path, out var durable);
                files.Add(new SimulatedFileState(path, now?.VolatileLength, durable?.DurableLength, now?.PendingChanges ?? 0,
                                                 ReferenceEquals(now, durable), now?.FlushFailed ?? false));
            }
            return files;
        }
    }

    /// <summary>Directory entry changes (creates, deletes, renames) not yet made durable by a directory sync.</summary>
    public int PendingEntryChanges
    {
        get
        {
            lock (Gate) return _pendingEntries.Count;
        }
    }

    /// <summary>
    /// What <paramref name="path"/> is guaranteed to hold after any power failure: the durable image of the file its
    /// durable entry names; null when it has no durable entry.
    /// </summary>
    public byte[]? ReadDurable(string path)
    {
        path = Normalize(path);
        lock (Gate) return _durable.TryGetValue(path, out var node) ? node.DurableImage() : null;
    }

    /// <summary>What <paramref name="path"/> shows now (the page cache, ignoring read faults); null when no file has that name.</summary>
    public byte[]? ReadVolatile(string path)
    {
        path = Normalize(path);
        lock (Gate) return _visible.TryGetValue(path, out var node) ? node.VolatileImage() : null;
    }
}

/// <summary>A file as a <see cref="SimulatedDevice"/> holds it.</summary>
/// <param name="Path">The path.</param>
/// <param name="VolatileLength">The length the page cache shows; null when no file has this name now.</param>
/// <param name="DurableLength">The durable length of the file the durable entry names; null when there is no durable entry.</param>
/// <param name="PendingChanges">Writes and length changes since the last flush of the file named now.</param>
/// <param name="SameFile">Whether the name now and the durable name are the same file (not after an unsynced create, rename or delete).</param>
/// <param name="FlushFailed">Whether a flush of the file named now failed (its state on disk is unknown).</param>
internal sealed record SimulatedFileState(string Path, long? VolatileLength, long? DurableLength, int PendingChanges, bool SameFile, bool FlushFailed);
