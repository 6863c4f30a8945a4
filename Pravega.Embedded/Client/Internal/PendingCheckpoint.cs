namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A checkpoint initiated: queued behind the one under way, or under way (<see cref="Start"/>), with the readers that
/// have not passed it yet and the positions recorded so far.
/// </summary>
internal sealed class PendingCheckpoint(string name, bool silent)
{
    public string Name { get; } = name;

    /// <summary>Automatic checkpoints are silent, as in Pravega: readers record them but do not return them.</summary>
    public bool Silent { get; } = silent;

    public HashSet<string> Waiting { get; } = new(StringComparer.Ordinal);

    /// <summary>Under way from now: every reader online now has to pass it.</summary>
    public void Start(IEnumerable<string> readers) => Waiting.UnionWith(readers);

    public Dictionary<SegmentKey, long> Positions { get; } = [];

    public TaskCompletionSource<Checkpoint> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
