using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pravega.Embedded.Tier1;

/// <summary>Settings of a <see cref="WriteAheadLog"/>.</summary>
internal sealed record WalOptions
{
    /// <summary>Default size of each pre-allocated log file: room for the largest event (8 MiB) twice over.</summary>
    public const int DefaultFileSize = 32 << 20;

    public required IReadOnlyList<string> Directories { get; init; }

    /// <summary>Size of each new log file (existing files keep the size their header says); every frame must fit in one file.</summary>
    public int FileSize { get; init; } = DefaultFileSize;

    /// <summary>Appends wait (asynchronously) while more than this many bytes are queued but not yet durable.</summary>
    public int MaxPendingBytes { get; init; } = 64 << 20;

    /// <summary>A batch is closed (and the next one started) once it holds this many bytes.</summary>
    public int MaxBatchBytes { get; init; } = 4 << 20;

    /// <summary>Zero-fill prepared files ahead of use: later overwrites then skip block allocation at fdatasync.</summary>
    public bool PreZeroFiles { get; init; } = true;

    /// <summary>
    /// The next file is zero-filled only if the current one took longer than this to fill halfway: a slowly filling
    /// log gains latency from zeros, a fast one would only pay for them in bandwidth and stalls.
    /// </summary>
    public TimeSpan ZeroFillWhenHalfFileTakesLongerThan { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Dropped files are kept as spares, to be recycled as new log files, while there are fewer than this many spares
    /// and the log's files and spares together stay within <see cref="MaxBytes"/>; the others are deleted.
    /// </summary>
    public int MaxSpareFiles { get; init; } = 2;

    /// <summary>The bound the log's files and spares stay within where the log can choose (<see cref="StreamStoreOptions.Tier1MaxBytes"/>).</summary>
    public long MaxBytes { get; init; } = 1L << 30;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The file system (tests: a simulated device with power failures and faults).</summary>
    public IStorageDevice Device { get; init; } = FileSystemDevice.Instance;

    /// <summary>
    /// At most this many sealed log files are mapped for reads at once (plus the file being written). A mapping costs
    /// address space, not a descriptor; the limit is set above what readers going through the log in parallel touch
    /// (a catch-up over more files than this in rotation would remap a file per read).
    /// </summary>
    public int MappedFileLimit { get; init; } = 256;

    /// <summary>
    /// Tests only: the log has no threads of its own. A commit happens only when its owner calls
    /// <see cref="WriteAheadLog.CommitNext"/>, on the caller's thread, writing the mirrors one after the other and
    /// preparing files in mirror order; completions run their continuations inline. With every other source of
    /// concurrency gone, the same calls in the same order always give the same device operations in the same order: the
    /// deterministic simulation steps the log itself so that one seed is one interleaving.
    /// </summary>
    public bool Stepped { get; init; }

    /// <summary>Where new ids come from (a new store's id); the simulation draws them from its seed.</summary>
    public Func<Guid> NewIds { get; init; } = Guid.NewGuid;

    public int MaxPayloadSize => FileSize - WalFormat.FileHeaderSize - WalFormat.FrameHeaderSize;
}
