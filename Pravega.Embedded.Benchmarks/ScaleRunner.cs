using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Writes across scales under load: <c>--seconds</c> (default 30) of 1 KiB events (<c>--event-bytes</c>) over 64 keys with
/// 256 in flight (<c>--in-flight</c>), into a stream that starts with one segment, is split in two at a quarter of the
/// time, each half split again at half the time, and merged back to one at three quarters; then the same run without
/// scales. Per run: events/s, ack latency p50/p99/p99.9/max, the longest time without any acknowledgement (a stall), and
/// per scale how long the call took, the p99 of the acknowledgements in the half second after it and the longest stall
/// within a second of it (stalls elsewhere are the log's, not the scale's: they show in the steady run too), every stall
/// over 50 ms with when it began, and the GC pause time of the run. <c>--no-tier2</c> runs both without Tier-2.
/// Markdown on stdout.
/// </summary>
internal static class ScaleRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        double seconds = 30;
        int eventBytes = 1024, inFlight = 256;
        bool tier2 = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--seconds" when i + 1 < args.Length: seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--event-bytes" when i + 1 < args.Length: eventBytes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-flight" when i + 1 < args.Length: inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-tier2": tier2 = false; break;
                default:
                    Console.Error.WriteLine("usage: scale [--dir D] [--seconds S] [--event-bytes B] [--in-flight N] [--no-tier2]");
                    return 2;
            }
        }
        Console.WriteLine($"{seconds:0} s of {eventBytes:N0}-byte events over 64 keys, {inFlight} in flight, Tier-2 {(tier2 ? "on" : "off")}, one stream: 1 segment, " +
                          "split to 2 at 1/4, to 4 at 1/2, merged back to 1 at 3/4 (scaled), or left alone (steady):");
        Console.WriteLine();
        Console.WriteLine("| run | events/s | p50 µs | p99 µs | p99.9 µs | max µs | longest stall ms | scales: call ms / p99 µs in the next 0.5 s / longest stall ms within 1 s | stalls over 50 ms (when) | GC pause ms |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|---|---|--:|");
        var scaled = await RunOnceAsync(parent, seconds, eventBytes, inFlight, scale: true, tier2);
        var steady = await RunOnceAsync(parent, seconds, eventBytes, inFlight, scale: false, tier2);
        Console.WriteLine();
        Console.WriteLine($"scaled / steady: throughput {scaled.Throughput / steady.Throughput:0.00}x, p99 {scaled.P99 / steady.P99:0.00}x, p99.9 {scaled.P999 / steady.P999:0.00}x");
        return 0;
    }

    private sealed record Result(double Throughput, double P99, double P999);

    private static async Task<Result> RunOnceAsync(string parent, double seconds, int eventBytes, int inFlight, bool scale, bool tier2)
    {
        string root = Path.Combine(parent, "pravega-scale-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root) with { Tier2Directory = tier2 ? Path.Combine(root, "tier2") : null });
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Bytes);
            var keys = Enumerable.Range(0, 64).Select(k => "k" + k.ToString(CultureInfo.InvariantCulture)).ToArray();
            var payload = new byte[eventBytes];
            var all = new LongHistogram(TimeStamp.Seconds(10), 3);
            var scales = new List<(long At, double CallMs, LongHistogram After)>();
            var gate = new object();
            var stalls = new List<(long From, long To)>(); // gaps of over 5 ms without an acknowledgement
            long lastAck = Stopwatch.GetTimestamp(), longestStall = 0, acked = 0;
            var watch = Stopwatch.StartNew();
            long startAll = Stopwatch.GetTimestamp();
            var gcBefore = GC.GetTotalPauseDuration();
            long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            var scaling = scale ? Task.Run(() => ScaleAsync(store, seconds, scales, gate)) : Task.CompletedTask;
            var pending = new Queue<Task>(inFlight);
            for (long i = 0; Stopwatch.GetTimestamp() < end; i++)
            {
                if (pending.Count == inFlight) await pending.Dequeue();
                long start = Stopwatch.GetTimestamp();
                pending.Enqueue(writer.WriteEventAsync(keys[i % keys.Length], payload).ContinueWith(t =>
                {
                    t.GetAwaiter().GetResult();
                    long now = Stopwatch.GetTimestamp();
                    long micros = (now - start) * 1_000_000 / Stopwatch.Frequency;
                    lock (gate)
                    {
                        all.RecordValue(micros);
                        foreach (var (at, _, after) in scales)
                            if (now >= at && now - at < Stopwatch.Frequency / 2) after.RecordValue(micros);
                        longestStall = Math.Max(longestStall, now - lastAck);
                        if (now - lastAck > Stopwatch.Frequency / 200) stalls.Add((lastAck, now));
                        lastAck = Math.Max(lastAck, now);
                        acked++;
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
            }
            while (pending.Count > 0) await pending.Dequeue();
            double elapsed = watch.Elapsed.TotalSeconds;
            long gcPause = (long)(GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds;
            string longStalls = string.Join(", ", stalls.Where(g => g.To - g.From > Stopwatch.Frequency / 20)
                .Select(g => $"{(g.From - startAll) / (double)Stopwatch.Frequency:0.0} s: {(g.To - g.From) * 1000.0 / Stopwatch.Frequency:0} ms"));
            await scaling;
            string scaleText = string.Join(", ", scales.Select(s =>
            {
                long near = stalls.Where(g => g.To > s.At && g.From < s.At + Stopwatch.Frequency).Select(g => g.To - g.From).DefaultIfEmpty(0).Max();
                return $"{s.CallMs:0.0} / {s.After.GetValueAtPercentile(99):N0} / {near * 1000.0 / Stopwatch.Frequency:0.0}";
            }));
            Console.WriteLine($"| {(scale ? "scaled" : "steady")} | {acked / elapsed:N0} | {all.GetValueAtPercentile(50):N0} | {all.GetValueAtPercentile(99):N0} | " +
                              $"{all.GetValueAtPercentile(99.9):N0} | {all.GetMaxValue():N0} | {longestStall * 1000.0 / Stopwatch.Frequency:0.0} | {(scale ? scaleText : "")} | " +
                              $"{(longStalls.Length == 0 ? "none" : longStalls)} | {gcPause} |");
            return new Result(acked / elapsed, all.GetValueAtPercentile(99), all.GetValueAtPercentile(99.9));
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The scales at 1/4, 1/2 (both halves) and 3/4 of the run, each timed, with a histogram for the half second after it.</summary>
    private static async Task ScaleAsync(StreamStore store, double seconds, List<(long, double, LongHistogram)> scales, object gate)
    {
        var quarter = TimeSpan.FromSeconds(seconds / 4);
        await Task.Delay(quarter);
        await TimedAsync([SegmentId(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await Task.Delay(quarter);
        await TimedAsync([SegmentId(1, 1)], [new KeyRange(0, 0.25), new KeyRange(0.25, 0.5)]);
        await TimedAsync([SegmentId(1, 2)], [new KeyRange(0.5, 0.75), new KeyRange(0.75, 1)]);
        await Task.Delay(quarter);
        await TimedAsync([SegmentId(2, 3), SegmentId(2, 4), SegmentId(3, 5), SegmentId(3, 6)], [new KeyRange(0, 1)]);

        async Task TimedAsync(long[] seal, KeyRange[] ranges)
        {
            long start = Stopwatch.GetTimestamp();
            var after = new LongHistogram(TimeStamp.Seconds(10), 3);
            lock (gate) scales.Add((start, 0, after));
            await store.Streams.ScaleStreamAsync("s", "t", seal, ranges);
            double ms = (Stopwatch.GetTimestamp() - start) * 1000.0 / Stopwatch.Frequency;
            lock (gate) scales[^1] = (start, ms, after);
        }
    }

    private static long SegmentId(int epoch, int number) => ((long)epoch << 32) | (uint)number;
}
