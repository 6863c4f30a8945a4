using System.Diagnostics;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// Invariants 1 and 4 across real process deaths: a child writes with a fixed writer id and prints each acknowledged
/// event; it is SIGKILLed at a random moment, several rounds in a row. After each round the store, reopened here,
/// holds every acknowledged event exactly once in per-key order, and the next round resends everything above
/// LastEventNumber plus a few below it, which must come back Duplicate. Runs in the default test run (a few seconds);
/// set PRAVEGA_CRASH_SEED to replay a failing seed.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int KilledRounds = 4;
    private const int Keys = 8;
    private const int Resend = 3;               // numbers at or below LastEventNumber resent each round: Duplicates
    private const long Unbounded = 100_000_000; // a killed round never gets this far
    private const int FinalCount = 200;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    /// <param name="walFileSize">The child's WAL file size: with 64 KiB files it takes a checkpoint at every new file,
    /// so SIGKILL also strikes while checkpoints are written, and reopens start from one.</param>
    [Theory]
    [InlineData(Embedded.Tier1.WalOptions.DefaultFileSize)]
    [InlineData(64 << 10)]
    public async Task AcknowledgedEventsSurviveSigkillExactlyOnceInKeyOrder(int walFileSize)
    {
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        string root = NewRoot();
        var total = Stopwatch.StartNew();
        try
        {
            long last = -1;           // LastEventNumber as this process last verified it
            long maxAcked = -1;
            int duplicates = 0;
            for (int round = 0; round <= KilledRounds; round++)
            {
                bool kill = round < KilledRounds;
                string context = $"seed {seed}, round {round}";
                long start = Math.Max(0, last + 1 - Resend);
                int delayMs = random.Next(150, 601);
                var clock = Stopwatch.StartNew();
                using var child = CrashChild.Start(root, start, kill ? Unbounded : FinalCount, Keys, walFileSize);
                if (kill)
                {
                    await WaitForFirstAckAsync(child, context);
                    await Task.Delay(delayMs);
                    Assert.False(child.HasExited, $"{context}: the child exited before it was killed; {child.Describe()}");
                    int exitCode = await child.KillAsync();
                    if (OperatingSystem.IsLinux())
                        Assert.True(exitCode == CrashChild.SigkillExitCode, $"{context}: exit code {exitCode}, not SIGKILL's; {child.Describe()}");
                }
                else
                {
                    int exitCode = await child.WaitForExitAsync(ChildTimeout);
                    Assert.True(exitCode == 0 && child.Done, $"{context}: the last child failed (exit code {exitCode}); {child.Describe()}");
                }

                Assert.True(child.UnexpectedLines.Count == 0, $"{context}: {child.Describe()}");
                Assert.True(child.Last == last, $"{context}: the child recovered LastEventNumber {child.Last}, this process verified {last}");
                var acks = child.Acks;
                Assert.True(acks.Count > 0, $"{context}: no ACK; {child.Describe()}");
                if (!kill) Assert.True(acks.Count == FinalCount, $"{context}: {acks.Count} ACKs of {FinalCount}");
                for (int i = 0; i < acks.Count; i++)
                {
                    var (number, result) = acks[i];
                    Assert.True(number == start + i, $"{context}: ACK #{i} is for {number}, expected {start + i} (acknowledged in call order)");
                    // A number is Duplicate exactly when it existed before this round.
                    Assert.True(result == (number <= last ? WriteResult.Duplicate : WriteResult.Written),
                        $"{context}: event {number} acknowledged {result}, but LastEventNumber before the round was {last}");
                    if (result == WriteResult.Duplicate) duplicates++;
                    maxAcked = Math.Max(maxAcked, number);
                }

                long before = last;
                last = await VerifyAsync(root, walFileSize, $"verify-{round}", maxAcked, context);
                if (!kill) Assert.True(last == start + FinalCount - 1, $"{context}: LastEventNumber {last} after a complete run to {start + FinalCount - 1}");
                output.WriteLine($"round {round}: started at {start}, {acks.Count} ACKs ({(kill ? $"killed {delayMs} ms after the first" : "ran to the end")}), " +
                                 $"LastEventNumber {before} -> {last} (acked up to {maxAcked}), {clock.ElapsedMilliseconds} ms");
            }
            Assert.True(duplicates > 0, $"seed {seed}: no resent event came back Duplicate");
            output.WriteLine($"seed {seed}: {duplicates} Duplicates, total {total.ElapsedMilliseconds} ms");
        }
        finally
        {
            DeleteRoot(root);
        }
    }

    /// <summary>
    /// The same rounds with a child whose stream the auto-scaler splits under the load while a second task splits and
    /// merges it by hand every few milliseconds: after each kill the stream's active segments cover the key space
    /// exactly (one epoch or the next, never a half-made one), every scale the child saw durable is there, and every
    /// acknowledged event is read exactly once, in key order, across all the epochs.
    /// </summary>
    [Fact]
    public async Task AcknowledgedEventsSurviveSigkillDuringManualAndAutomaticScaling()
    {
        const int walFileSize = 64 << 10;
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = NewRoot();
        try
        {
            long last = -1, maxAcked = -1;
            int scaledEpoch = -1;
            for (int round = 0; round <= KilledRounds; round++)
            {
                bool kill = round < KilledRounds;
                string context = $"seed {seed}, round {round} (scaling)";
                long start = Math.Max(0, last + 1 - Resend);
                using var child = CrashChild.Start(root, start, kill ? Unbounded : FinalCount, Keys, walFileSize, scale: true);
                await KillOrFinishAsync(child, kill, random, last, context);
                foreach (var (number, _) in child.Acks) maxAcked = Math.Max(maxAcked, number);
                scaledEpoch = Math.Max(scaledEpoch, child.ScaledEpoch);
                last = await VerifyAsync(root, walFileSize, $"verify-{round}", maxAcked, context, scaledEpoch);
                output.WriteLine($"round {round}: {child.Acks.Count} ACKs, last scale seen durable made epoch {child.ScaledEpoch}, LastEventNumber {last}");
            }
            Assert.True(scaledEpoch > 0, $"seed {seed}: no scale completed");
        }
        finally
        {
            DeleteRoot(root);
        }
    }

    /// <summary>
    /// The same rounds with a child that also truncates its stream at the tail every few thousand events, with 64 KiB
    /// WAL files and a Tier-1 bound of four: SIGKILL strikes while files are dropped, recycled, tiered and truncated
    /// chunks deleted. After each kill the stream holds exactly the events from the last truncation that may have
    /// happened (the last one printed, or the one asked for when the kill came) to LastEventNumber, each once, in key
    /// order, and LastEventNumber covers every acknowledgement.
    /// </summary>
    [Fact]
    public async Task AcknowledgedEventsAfterTheLastCutSurviveSigkillWhileTheStoreTruncatesDropsAndRecycles()
    {
        const int walFileSize = 64 << 10;
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = NewRoot();
        try
        {
            long last = -1, maxAcked = -1, cut = 0, truncating = 0;
            for (int round = 0; round <= KilledRounds; round++)
            {
                bool kill = round < KilledRounds;
                string context = $"seed {seed}, round {round} (truncating)";
                long start = Math.Max(0, last + 1 - Resend);
                using var child = CrashChild.Start(root, start, kill ? Unbounded : 4 * CrashWriter.TruncateEvery, Keys, walFileSize, truncate: true);
                await KillOrFinishAsync(child, kill, random, last, context);
                foreach (var (number, _) in child.Acks) maxAcked = Math.Max(maxAcked, number);
                if (child.Cut >= 0) cut = child.Cut;
                truncating = Math.Max(cut, child.Truncating);
                last = await VerifyTruncatedAsync(root, walFileSize, $"verify-{round}", maxAcked, cut, truncating, context);
                output.WriteLine($"round {round}: {child.Acks.Count} ACKs, cut {cut} (asked {truncating}), LastEventNumber {last}");
            }
            Assert.True(cut > 0, $"seed {seed}: no truncation completed");
        }
        finally
        {
            DeleteRoot(root);
        }
    }

    private static async Task<long> VerifyTruncatedAsync(string root, int walFileSize, string group, long maxAcked, long cut, long truncating, string context)
    {
        string tier2 = Path.Combine(root, "tier2");
        var chunksBefore = Directory.Exists(tier2) ? Directory.GetFiles(tier2, "*.chunk", SearchOption.AllDirectories) : [];
        await using var store = await StreamStore.OpenAsync(CrashWriter.Options(root, walFileSize));
        await CheckTier2Async(store, tier2, chunksBefore, context);
        long last;
        await using (var writer = store.CreateEventWriter(CrashWriter.Scope, CrashWriter.Stream, Serializers.Utf8, new EventWriterOptions { WriterId = CrashWriter.WriterId }))
        {
            await writer.FlushAsync();
            last = writer.LastEventNumber;
        }
        Assert.True(last >= maxAcked, $"{context}: LastEventNumber {last} after recovery, but {maxAcked} was acknowledged");
        await store.ReaderGroups.CreateReaderGroupAsync(CrashWriter.Scope, group, ReaderGroupConfig.ForStream(CrashWriter.Scope, CrashWriter.Stream));
        await using var reader = store.CreateReader("verifier", CrashWriter.Scope, group, Serializers.Utf8);
        var numbers = new List<long>();
        var lastPerKey = new long[Keys];
        Array.Fill(lastPerKey, -1L);
        while (true)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(2));
            if (!e.HasEvent) break;
            long n = long.Parse(e.Event!, NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.True(n > lastPerKey[n % Keys], $"{context}: event {n} read after {lastPerKey[n % Keys]} of its key");
            lastPerKey[n % Keys] = n;
            numbers.Add(n);
        }
        numbers.Sort();
        long first = numbers.Count > 0 ? numbers[0] : last + 1;
        Assert.True(first == cut || first == truncating, $"{context}: the stream starts at event {first}, but the cut is at {cut} (or {truncating}, asked for when the kill came)");
        Assert.True(numbers.Count == last - first + 1 && (numbers.Count == 0 || numbers[^1] == last),
            $"{context}: {numbers.Count} events from {first}, expected every one of [{first}, {last}] once");
        for (int i = 1; i < numbers.Count; i++) Assert.True(numbers[i] == numbers[i - 1] + 1, $"{context}: event {numbers[i - 1] + 1} is missing or {numbers[i]} twice");
        return last;
    }

    /// <summary>
    /// Reopens the store and checks it against the writer's contract: LastEventNumber covers every acknowledged
    /// event, and the stream holds each number 0..LastEventNumber exactly once (the child writes consecutive numbers
    /// and durability is prefix-closed), in increasing order per routing key. Returns LastEventNumber.
    /// </summary>
    /// <param name="scaledEpoch">With scaling: the active segments must cover the key space exactly, of this epoch or a later one.</param>
    private static async Task<long> VerifyAsync(string root, int walFileSize, string group, long maxAcked, string context, int scaledEpoch = -1)
    {
        string tier2 = Path.Combine(root, "tier2");
        var chunksBefore = Directory.Exists(tier2) ? Directory.GetFiles(tier2, "*.chunk", SearchOption.AllDirectories) : [];
        await using var store = await StreamStore.OpenAsync(CrashWriter.Options(root, walFileSize));
        await CheckTier2Async(store, tier2, chunksBefore, context);
        long last;
        await using (var writer = store.CreateEventWriter(CrashWriter.Scope, CrashWriter.Stream, Serializers.Utf8,
                         new EventWriterOptions { WriterId = CrashWriter.WriterId }))
        {
            await writer.FlushAsync();
            last = writer.LastEventNumber;
        }
        Assert.True(last >= maxAcked, $"{context}: LastEventNumber {last} after recovery, but {maxAcked} was acknowledged");
        if (scaledEpoch >= 0)
        {
            var active = await store.Streams.GetActiveSegmentsAsync(CrashWriter.Scope, CrashWriter.Stream);
            double covered = 0;
            foreach (var a in active)
            {
                Assert.True(a.KeyRange.Low == covered, $"{context}: active segments leave a gap or overlap at {covered}: {string.Join(" ", active.Select(x => x.KeyRange))}");
                covered = a.KeyRange.High;
            }
            Assert.True(covered == 1.0, $"{context}: active segments end at {covered}");
            long epoch = active.Max(a => a.SegmentId >> 32);
            Assert.True(epoch >= scaledEpoch, $"{context}: the newest epoch is {epoch}, but the child saw epoch {scaledEpoch} durable");
        }

        Assert.True(await store.ReaderGroups.CreateReaderGroupAsync(CrashWriter.Scope, group,
            ReaderGroupConfig.ForStream(CrashWriter.Scope, CrashWriter.Stream)), $"{context}: group {group} existed");
        await using var reader = store.CreateReader("verifier", CrashWriter.Scope, group, Serializers.Utf8);
        var seen = new bool[last + 1];
        var lastPerKey = new long[Keys];
        Array.Fill(lastPerKey, -1L);
        for (long read = 0; read <= last; read++)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10));
            Assert.True(e.HasEvent, $"{context}: no event after {read} of {last + 1}; a number up to LastEventNumber is missing");
            long n = long.Parse(e.Event!, NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.True(n >= 0 && n <= last, $"{context}: read event {n}, above LastEventNumber {last}");
            Assert.False(seen[n], $"{context}: event {n} read twice");
            seen[n] = true;
            int key = (int)(n % Keys);
            Assert.True(n > lastPerKey[key], $"{context}: event {n} of key k{key} read after {lastPerKey[key]}");
            lastPerKey[key] = n;
        }
        // last + 1 distinct numbers in [0, last]: every one is there, every acknowledged one included.
        var extra = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(200));
        Assert.False(extra.HasEvent, $"{context}: an event beyond the {last + 1} expected: '{extra.Event}'");
        return last;
    }

    /// <summary>
    /// After the sweep at open: no chunk is referred to by two extents, and every chunk that was there before the open
    /// is either referred to by a committed manifest or gone (an orphan of a pass the kill cut short).
    /// </summary>
    internal static async Task CheckTier2Async(StreamStore store, string tier2, string[] chunksBefore, string context)
    {
        await store.Runtime.Container.Tierer!.Ready;
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var container = store.Runtime.Container;
        lock (container.Lock)
        {
            foreach (var segment in container.AllSegments)
                foreach (var extent in segment.View?.Extents ?? [])
                    Assert.True(referenced.Add(Path.GetFullPath(Path.Combine(tier2, extent.Chunk))), $"{context}: chunk {extent.Chunk} is referred to twice");
        }
        foreach (string chunk in chunksBefore)
            Assert.True(referenced.Contains(Path.GetFullPath(chunk)) || !File.Exists(chunk), $"{context}: orphan chunk {chunk} was not removed at open");
    }

    /// <summary>
    /// Kills the child 300-1200 ms after its first acknowledgement, or waits for it to finish; then checks that it printed
    /// only its protocol and recovered the LastEventNumber this process verified.
    /// </summary>
    private static async Task KillOrFinishAsync(CrashChild child, bool kill, Random random, long last, string context)
    {
        if (kill)
        {
            await WaitForFirstAckAsync(child, context);
            await Task.Delay(random.Next(300, 1200));
            Assert.False(child.HasExited, $"{context}: the child exited before it was killed; {child.Describe()}");
            await child.KillAsync();
        }
        else
        {
            int exitCode = await child.WaitForExitAsync(ChildTimeout);
            Assert.True(exitCode == 0 && child.Done, $"{context}: the last child failed (exit code {exitCode}); {child.Describe()}");
        }
        Assert.True(child.UnexpectedLines.Count == 0, $"{context}: {child.Describe()}");
        Assert.True(child.Last == last, $"{context}: the child recovered LastEventNumber {child.Last}, this process verified {last}");
    }

    private static async Task WaitForFirstAckAsync(CrashChild child, string context)
    {
        try
        {
            await child.FirstAck.WaitAsync(ChildTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Assert.Fail($"{context}: no ACK from the child ({e.Message}); {child.Describe()}");
        }
    }

    internal static string NewRoot() => Path.Combine(Path.GetTempPath(), "pravega-crash-tests", Guid.NewGuid().ToString("N"));

    internal static void DeleteRoot(string root)
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}
