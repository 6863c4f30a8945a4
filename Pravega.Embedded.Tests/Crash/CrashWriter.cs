using System.Text;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The child side of the crash tests: opens the store at a root, writes numbered events with a fixed writer id and
/// prints one line per acknowledgement, until it is killed or has written them all. Its output protocol (ASCII, one
/// line per write syscall, so a SIGKILL can only cut off a line that was never complete):
/// <c>LAST n</c> (the writer's LastEventNumber at start), <c>ACK n Written|Duplicate</c> (printed only after the
/// write's task completed successfully, in call order), with truncation <c>TRUNCATING n</c> then <c>CUT n</c> (once
/// the truncation of every event below n is durable), with scaling <c>SCALED e</c> (a manual scale that created epoch e is
/// durable), <c>DONE</c>; or <c>LOCKED</c> alone with exit code
/// <see cref="LockedExitCode"/> when another process holds the store.
/// </summary>
internal static class CrashWriter
{
    public const string Command = "crash-writer";
    public const string Scope = "crash";
    public const string Stream = "events";
    public const string WriterId = "crash-writer";
    public const int SegmentCount = 4;
    public const int LockedExitCode = 3;

    /// <summary>The optional last argument: truncate the stream at its tail every <see cref="TruncateEvery"/> events.</summary>
    public const string TruncateArgument = "truncate";

    public const int TruncateEvery = 3000;

    /// <summary>
    /// The optional last argument: a rate-scaled stream that the auto-scaler splits under the load (with periods of a
    /// fraction of a second) while a second task splits and merges it by hand all the time.
    /// </summary>
    public const string ScaleArgument = "scale";

    /// <summary>Writes in flight at once: enough for the log's group commit to batch as under real load.</summary>
    public const int MaxInFlight = 64;

    private static readonly Stream Stdout = Console.OpenStandardOutput();

    public static string RoutingKey(long eventNumber, int keys) => $"k{eventNumber % keys}";

    /// <summary>
    /// The store's options: small WAL files come with a Tier-1 bound of a few files, so the store also tiers, checkpoints
    /// and drops files all the time (and SIGKILL strikes in the middle of that). The small pending bound makes most writes
    /// find the log full, so they are staged and go out as batch records (record 14), the rest one record each.
    /// </summary>
    public static StreamStoreOptions Options(string root, int walFileSize) => StreamStoreOptions.InDirectory(root) with
    {
        WalFileSize = walFileSize,
        WalMaxPendingBytes = 2 << 10,
        Tier1MaxBytes = walFileSize < (1 << 20) ? 4L * walFileSize : 1L << 30,
        Tier2ChunkSize = walFileSize < (1 << 20) ? 256 << 10 : 64L << 20,
    };

    /// <summary>The child's options with scaling: the auto-scaler checks every 50 ms and may scale every 200 ms.</summary>
    public static StreamStoreOptions ScalingOptions(string root, int walFileSize) => Options(root, walFileSize) with
    {
        AutoScale = new AutoScaleOptions
        {
            CheckInterval = TimeSpan.FromMilliseconds(50),
            Cooldown = TimeSpan.FromMilliseconds(200),
            RateWindow = TimeSpan.FromMilliseconds(500),
        },
    };

    /// <summary>Splits or merges a random active segment every few milliseconds, printing each scale once it is durable.</summary>
    internal static async Task ScaleByHandAsync(StreamStore store, CancellationToken ct, string stream = Stream)
    {
        var random = new Random();
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(random.Next(5, 40), CancellationToken.None);
            var active = await store.Streams.GetActiveSegmentsAsync(Scope, stream, CancellationToken.None);
            try
            {
                if (active.Count < 12 && random.Next(2) == 0)
                {
                    var s = active[random.Next(active.Count)];
                    double middle = (s.KeyRange.Low + s.KeyRange.High) / 2;
                    await store.Streams.ScaleStreamAsync(Scope, stream, [s.SegmentId],
                        [new KeyRange(s.KeyRange.Low, middle), new KeyRange(middle, s.KeyRange.High)], CancellationToken.None);
                }
                else if (active.Count > 1)
                {
                    int i = random.Next(active.Count - 1);
                    await store.Streams.ScaleStreamAsync(Scope, stream, [active[i].SegmentId, active[i + 1].SegmentId],
                        [new KeyRange(active[i].KeyRange.Low, active[i + 1].KeyRange.High)], CancellationToken.None);
                }
                else continue;
            }
            catch (ArgumentException)
            {
                continue; // the auto-scaler sealed one of them first
            }
            var now = await store.Streams.GetActiveSegmentsAsync(Scope, stream, CancellationToken.None);
            Print($"SCALED {now.Max(a => a.SegmentId >> 32)}");
        }
    }

    /// <param name="walFileSize">Size of new WAL files: small ones make the store checkpoint at every new file.</param>
    /// <param name="truncate">Every <see cref="TruncateEvery"/> events, wait for those in flight and truncate at the tail.</param>
    /// <param name="scale">Scale the stream automatically and by hand while writing.</param>
    public static async Task<int> RunAsync(string root, long startNumber, long count, int keys, int walFileSize, bool truncate = false, bool scale = false)
    {
        StreamStore store;
        try
        {
            store = await StreamStore.OpenAsync(scale ? ScalingOptions(root, walFileSize) : Options(root, walFileSize));
        }
        catch (DataDirectoryLockedException)
        {
            Print("LOCKED");
            return LockedExitCode;
        }

        await using (store)
        {
            await store.Streams.CreateScopeAsync(Scope);
            await store.Streams.CreateStreamAsync(Scope, Stream, new StreamConfiguration
            {
                ScalingPolicy = scale ? ScalingPolicy.ByEventRate(5000, 2, 2) : ScalingPolicy.Fixed(SegmentCount),
            });
            using var stopScaling = new CancellationTokenSource();
            var scaling = scale ? Task.Run(() => ScaleByHandAsync(store, stopScaling.Token)) : Task.CompletedTask;
            await using var writer = store.CreateEventWriter(Scope, Stream, Serializers.Utf8, new EventWriterOptions { WriterId = WriterId });
            await writer.FlushAsync();
            Print($"LAST {writer.LastEventNumber}");

            // Calls are issued in order and acknowledgements printed in the same order by this one loop, so lines
            // never interleave; a line is printed only once its write has completed successfully.
            var inFlight = new Queue<(long Number, Task<WriteResult> Write)>(MaxInFlight);
            for (long n = startNumber; n < startNumber + count; n++)
            {
                if (inFlight.Count == MaxInFlight) await AcknowledgeAsync(inFlight.Dequeue());
                if (truncate && n > startNumber && n % TruncateEvery == 0)
                {
                    while (inFlight.Count > 0) await AcknowledgeAsync(inFlight.Dequeue());
                    var tail = (await store.Streams.GetStreamInfoAsync(Scope, Stream)).Tail; // every event below n
                    Print($"TRUNCATING {n}");
                    await store.Streams.TruncateStreamAsync(Scope, Stream, tail);
                    Print($"CUT {n}");
                }
                inFlight.Enqueue((n, writer.WriteEventAsync(RoutingKey(n, keys), $"{n}", n)));
            }
            while (inFlight.Count > 0) await AcknowledgeAsync(inFlight.Dequeue());
            await stopScaling.CancelAsync();
            await scaling;
        }
        Print("DONE");
        return 0;
    }

    private static async Task AcknowledgeAsync((long Number, Task<WriteResult> Write) write)
    {
        var result = await write.Write;
        Print($"ACK {write.Number} {result}");
    }

    /// <summary>One line, one write on the unbuffered stdout stream (atomic on a pipe: far below PIPE_BUF).</summary>
    internal static void Print(string line)
    {
        Stdout.Write(Encoding.ASCII.GetBytes(line + "\n"));
        Stdout.Flush();
    }
}
