namespace Pravega.Embedded.Controller;

/// <summary>A reader group's durable definition; the readers' online state lives with the group's coordinator.</summary>
internal sealed class ReaderGroupState(string scope, string name, ReaderGroupConfig config)
{
    public string Scope { get; } = scope;
    public string Name { get; } = name;
    public ReaderGroupConfig Config { get; set; } = config;
    public bool IsDeleted { get; set; }
}
