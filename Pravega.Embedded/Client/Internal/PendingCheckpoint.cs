namespace Pravega.Embedded.Client.Internal;

/// <summary>A checkpoint under way: the readers that have not passed it yet, and the positions recorded so far.</summary>
internal sealed class PendingCheckpoint(string name, bool silent, IEnumerable<string> readers)
{
    public string Name { get; } = name;

    /// <summary>Automatic checkpoints are silent, as in Pravega: readers record them but do not return them.</summary>
    public bool Silent { get; } = silent;

    public HashSet<string> Waiting { get; } = new(readers, StringComparer.Ordinal);

    public Dictionary<SegmentKey, long> Positions { get; } = [];

    public TaskCompletionSource<Checkpoint> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
