using Microsoft.Extensions.Logging;

namespace Pravega.Embedded;

/// <summary>
/// Where and how an embedded <see cref="StreamStore"/> keeps its data. Validated once, by
/// <see cref="StreamStore.OpenAsync"/>, which throws <see cref="ArgumentException"/> (or
/// <see cref="ArgumentOutOfRangeException"/>) for an invalid value.
/// </summary>
public sealed record StreamStoreOptions
{
    /// <summary>
    /// The Tier-1 write-ahead log's mirror directories (at least one, all distinct). An append is acknowledged only
    /// when it is durable in all of them; the store opens as long as one mirror holds a valid copy of every record,
    /// and repairs the others (a missing or emptied mirror directory is rebuilt). Missing directories are created.
    /// </summary>
    public required IReadOnlyList<string> Tier1Directories { get; init; }

    /// <summary>
    /// The Tier-2 (long-term storage) directory, or null (the default) for no tiering: then all data stays in Tier-1.
    /// Must differ from every Tier-1 directory. A background tierer moves segment data there in large sequential
    /// writes (per-segment chunk files and a manifest, each synced before it counts), and reads of tiered data come
    /// from it transparently; truncation and stream deletion remove what they free.
    /// </summary>
    public string? Tier2Directory { get; init; }

    /// <summary>
    /// With Tier-2, the bound on each Tier-1 mirror's files (pre-allocated size counted), which they stay within, plus
    /// one log file, once tiering has caught up: data in files beyond half of it is tiered first, and files whose data
    /// is all in Tier-2 (or truncated) are dropped. Default 1 GiB. Must be positive. Without Tier-2 the log keeps every
    /// byte that is not truncated.
    /// </summary>
    public long Tier1MaxBytes { get; init; } = 1L << 30;

    /// <summary>
    /// How often retention policies are applied, on <see cref="TimeProvider"/>. Default 1 minute. Must be positive,
    /// or <see cref="Timeout.InfiniteTimeSpan"/> to never apply them on a timer.
    /// </summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How streams with a rate-based <see cref="ScalingPolicy"/> are scaled automatically (periods and thresholds, with
    /// Pravega's defaults). Must not be null.
    /// </summary>
    public AutoScaleOptions AutoScale { get; init; } = new();

    /// <summary>
    /// Bound of the read cache, in bytes. Memory use is bounded by options, not by the amount of data. Default 256 MiB.
    /// Must be positive. Reads of Tier-1 data come straight from the memory-mapped log (the page cache is the cache);
    /// reads of tiered data go through a heap cache of recently read blocks, which this bounds.
    /// </summary>
    public long CacheSizeBytes { get; init; } = 256L << 20;

    /// <summary>Where the store logs (categories per layer), or null (the default) for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The clock of every timer of the store (auto-scaling, transaction leases, retention, watermarks), so that tests
    /// can drive time. Default <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Options that keep everything under <paramref name="root"/>: three Tier-1 mirrors <c>root/tier1-0</c>,
    /// <c>root/tier1-1</c>, <c>root/tier1-2</c> and Tier-2 in <c>root/tier2</c>; the other options at their defaults.
    /// </summary>
    /// <param name="root">The directory holding all the store's data.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="root"/> is empty or white space.</exception>
    public static StreamStoreOptions InDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        return new StreamStoreOptions
        {
            Tier1Directories = [Path.Combine(root, "tier1-0"), Path.Combine(root, "tier1-1"), Path.Combine(root, "tier1-2")],
            Tier2Directory = Path.Combine(root, "tier2"),
        };
    }

    /// <summary>Size of each pre-allocated WAL file (internal: tests use small files).</summary>
    internal int WalFileSize { get; init; } = Tier1.WalOptions.DefaultFileSize;

    /// <summary>A Tier-2 chunk is not continued beyond this length (internal: tests use small chunks).</summary>
    internal long Tier2ChunkSize { get; init; } = 64L << 20;

    /// <summary>When key-value table indexes merge and compact (internal: tests make both happen with little data).</summary>
    internal Client.Internal.TableIndexOptions TableIndex { get; init; } = new();

    /// <summary>Appends wait while more than this many bytes are not yet durable (internal: tests use a small bound).</summary>
    internal int WalMaxPendingBytes { get; init; } = 64 << 20;

    /// <summary>The file system the store uses (internal: simulation tests use a simulated device with power failures).</summary>
    internal Tier1.IStorageDevice Device { get; init; } = Tier1.FileSystemDevice.Instance;

    /// <summary>
    /// The log commits only when a test calls <see cref="Tier1.WriteAheadLog.CommitNext"/> (internal: the deterministic
    /// simulation steps the log itself, see <see cref="Tier1.WalOptions.Stepped"/>).
    /// </summary>
    internal bool SteppedLog { get; init; }

    /// <summary>Where new ids come from: a new store's id, a writer's generated id (internal: the simulation draws them from its seed).</summary>
    internal Func<Guid> NewIds { get; init; } = Guid.NewGuid;

    /// <summary>Checks every option; called once when a store opens.</summary>
    /// <exception cref="ArgumentNullException">A required option is null.</exception>
    /// <exception cref="ArgumentException">
    /// No Tier-1 directory, an empty one, the same directory twice, or Tier-2 equal to a Tier-1 directory.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or interval is not positive.</exception>
    internal void Validate()
    {
        if (Tier1Directories is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(Tier1Directories));
        }

        if (Tier1Directories.Count == 0)
        {
            ThrowHelper.ThrowArgument("At least one Tier-1 directory is required.", nameof(Tier1Directories));
        }

        var seen = new HashSet<string>(PathComparer);
        foreach (string? directory in Tier1Directories)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                ThrowHelper.ThrowArgument("A Tier-1 directory is null, empty or white space.", nameof(Tier1Directories));
            }

            if (!seen.Add(Normalize(directory)))
            {
                ThrowHelper.ThrowArgument($"The Tier-1 directory '{directory}' is listed twice: mirrors must be distinct.", nameof(Tier1Directories));
            }
        }

        if (Tier2Directory is not null)
        {
            if (string.IsNullOrWhiteSpace(Tier2Directory))
            {
                ThrowHelper.ThrowArgument("The Tier-2 directory is empty or white space; use null for no tiering.", nameof(Tier2Directory));
            }

            if (seen.Contains(Normalize(Tier2Directory)))
            {
                ThrowHelper.ThrowArgument($"The Tier-2 directory '{Tier2Directory}' is also a Tier-1 directory.", nameof(Tier2Directory));
            }
        }

        if (Tier1MaxBytes <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(Tier1MaxBytes), Tier1MaxBytes, "Tier1MaxBytes must be positive.");
        }

        if (CacheSizeBytes <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(CacheSizeBytes), CacheSizeBytes, "CacheSizeBytes must be positive.");
        }

        if (RetentionCheckInterval <= TimeSpan.Zero && RetentionCheckInterval != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange(
                nameof(RetentionCheckInterval), RetentionCheckInterval, "RetentionCheckInterval must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (TimeProvider is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(TimeProvider));
        }

        if (AutoScale is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(AutoScale));
        }

        AutoScale.Validate(nameof(AutoScale));
    }

    private static StringComparer PathComparer =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private static string Normalize(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
}
