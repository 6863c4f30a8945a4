namespace Pravega.Embedded.Controller;

/// <summary>A scope: its streams and reader groups, by name.</summary>
internal sealed class ScopeState(string name)
{
    public string Name { get; } = name;
    public Dictionary<string, StreamState> Streams { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ReaderGroupState> ReaderGroups { get; } = new(StringComparer.Ordinal);
}
