namespace Pravega.Embedded.Tier2;

/// <summary>A chunk that must not exist does (names are never reused: a caller lost track of what it created).</summary>
internal sealed class ChunkExistsException(string name) : IOException($"The Tier-2 chunk '{name}' exists already.")
{
    /// <summary>The chunk's name.</summary>
    public string Name { get; } = name;
}

/// <summary>A chunk that must exist does not.</summary>
internal sealed class ChunkNotFoundException(string name) : IOException($"The Tier-2 chunk '{name}' does not exist.")
{
    /// <summary>The chunk's name.</summary>
    public string Name { get; } = name;
}
