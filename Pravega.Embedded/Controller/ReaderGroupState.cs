namespace Pravega.Embedded.Controller;

/// <summary>
/// A reader group's durable definition and state: its configuration, how often it was reset (its generation), and
/// its latest snapshot. The live state (online readers, who reads what) lives with the group's coordinator.
/// </summary>
internal sealed class ReaderGroupState(string scope, string name, ReaderGroupConfig config)
{
    public string Scope { get; } = scope;
    public string Name { get; } = name;
    public ReaderGroupConfig Config { get; set; } = config;

    /// <summary>Incremented by each reset: readers of an older generation must reinitialize.</summary>
    public int Generation { get; set; }

    /// <summary>The latest durable snapshot of this generation, if any.</summary>
    public ReaderGroupSnapshot? Snapshot { get; set; }

    public bool IsDeleted { get; set; }
}
