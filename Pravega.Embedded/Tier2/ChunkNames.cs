using System.Globalization;

namespace Pravega.Embedded.Tier2;

/// <summary>
/// How chunks are named (docs/FORMAT.md, "Tier-2"): a segment's chunks and manifest live under
/// <c>&lt;scope&gt;/&lt;stream&gt;/&lt;stream id&gt;-&lt;segment id&gt;</c> (the internal stream id is never reused, so a
/// stream created under the name of a deleted one never meets its leftovers); a data chunk is named by the segment
/// offset it starts at and an id unique to its creation, so that a name is never reused, also after a crash.
/// </summary>
internal static class ChunkNames
{
    /// <summary>The name of the manifest chunk within a segment's prefix.</summary>
    public const string ManifestName = "manifest";

    private const string DataSuffix = ".chunk";

    /// <summary>The prefix under which a segment's chunks live.</summary>
    public static string SegmentPrefix(string scope, string stream, long streamId, long segmentId) =>
        string.Create(CultureInfo.InvariantCulture, $"{Component(scope)}/{Component(stream)}/{streamId}-{segmentId}");

    /// <summary>The manifest of the segment whose prefix is <paramref name="segmentPrefix"/>.</summary>
    public static string Manifest(string segmentPrefix) => segmentPrefix + "/" + ManifestName;

    /// <summary>A new data chunk's name: the segment offset its first byte has, and a unique id.</summary>
    public static string DataChunk(string segmentPrefix, long startOffset, Guid unique) =>
        string.Create(CultureInfo.InvariantCulture, $"{segmentPrefix}/{startOffset:D19}-{unique:N}{DataSuffix}");

    /// <summary>
    /// The prefix under which an open transaction's staged events live (docs/FORMAT.md, "Transaction staging"): below a
    /// top-level directory no scope can be named (scope names are <c>[A-Za-z0-9.-]</c>).
    /// </summary>
    public static string TransactionPrefix(Guid transaction) =>
        string.Create(CultureInfo.InvariantCulture, $"{TransactionsDirectory}/{transaction:N}");

    /// <summary>A stage pass's chunk: the transaction's prefix, the ordinal of its first event, and a unique id.</summary>
    public static string StagingChunk(Guid transaction, int first, Guid unique) =>
        string.Create(CultureInfo.InvariantCulture, $"{TransactionPrefix(transaction)}/{first:D10}-{unique:N}{DataSuffix}");

    /// <summary>The top-level directory of transactions' staged events.</summary>
    public const string TransactionsDirectory = "_transactions";

    /// <summary>Whether <paramref name="name"/> names a data chunk (not a manifest).</summary>
    public static bool IsDataChunk(string name) => name.EndsWith(DataSuffix, StringComparison.Ordinal);

    /// <summary>
    /// Checks a chunk name: relative, components separated by <c>/</c>, none empty, <c>.</c> or <c>..</c>, no backslash
    /// or NUL (a name must map to one path under the Tier-2 root and nowhere else).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part is "." or ".." || part.Contains('\\', StringComparison.Ordinal) || part.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"'{name}' is not a valid chunk name: components must be non-empty, not '.' or '..', without '\\' or NUL.", nameof(name));
        }
    }

    /// <summary>A scope or stream name as one path component (names are validated by the controller; this only refuses separators).</summary>
    private static string Component(string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
            throw new ArgumentException($"'{name}' cannot name a Tier-2 directory.", nameof(name));
        return name;
    }
}
