// AutoScaling: one stream with ScalingPolicy.ByEventRate, driven in real time by a load that rises and falls. The
// auto-scaler (here with periods of seconds instead of Pravega's minutes) splits the hot segments while the load is
// high and merges them back once it is low; a reader group follows along and checks that every key stays in order.
using System.Diagnostics;
using Pravega.Embedded;

string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "pravega-autoscaling-" + Guid.NewGuid().ToString("N"));
bool temporary = args.Length == 0;
const int Target = 2_000, Keys = 64; // events per second per segment

var options = StreamStoreOptions.InDirectory(root) with
{
    AutoScale = new AutoScaleOptions
    {
        CheckInterval = TimeSpan.FromMilliseconds(250),
        Cooldown = TimeSpan.FromSeconds(2),
        RateWindow = TimeSpan.FromSeconds(1), // averages over 1, 2.5, 5 and 10 seconds
    },
};
(string Name, int EventsPerSecond, TimeSpan Length)[] phases =
[
    ("idle", 200, TimeSpan.FromSeconds(3)),
    ("high", 6 * Target, TimeSpan.FromSeconds(18)),
    ("low", 200, TimeSpan.FromSeconds(30)),
];

await using (var store = await StreamStore.OpenAsync(options))
{
    await store.Streams.CreateScopeAsync("demo");
    await store.Streams.CreateStreamAsync("demo", "load", new StreamConfiguration
    {
        ScalingPolicy = ScalingPolicy.ByEventRate(targetEventsPerSecond: Target, scaleFactor: 2, minSegments: 1),
    });
    await store.ReaderGroups.CreateReaderGroupAsync("demo", "followers", ReaderGroupConfig.ForStream("demo", "load"));

    using var stop = new CancellationTokenSource();
    var reading = Task.Run(() => FollowAsync(store, stop.Token));
    await using var writer = store.CreateEventWriter("demo", "load", Serializers.Utf8);
    var clock = Stopwatch.StartNew();
    long written = 0;
    int maxSegments = 1;
    Console.WriteLine($"target {Target:N0} events/s per segment; time, phase, load, segments (key ranges)");
    foreach (var (name, rate, length) in phases)
    {
        var end = clock.Elapsed + length;
        var nextReport = clock.Elapsed;
        while (clock.Elapsed < end)
        {
            // One tenth of a second of load, then wait for the next tenth.
            var slice = clock.Elapsed;
            var pending = new List<Task>();
            for (int i = 0; i < rate / 10; i++, written++)
                pending.Add(writer.WriteEventAsync($"key-{written % Keys}", $"{written}"));
            await Task.WhenAll(pending);
            if (clock.Elapsed >= nextReport)
            {
                var active = await store.Streams.GetActiveSegmentsAsync("demo", "load");
                maxSegments = Math.Max(maxSegments, active.Count);
                string ranges = string.Join(" ", active.Select(a => $"[{a.KeyRange.Low:0.###},{a.KeyRange.High:0.###})"));
                Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:0}s  {name,-4} {rate,7:N0}/s  {active.Count} segment(s) {ranges}");
                nextReport += TimeSpan.FromSeconds(2);
            }
            var wait = slice + TimeSpan.FromMilliseconds(100) - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
        }
    }
    int final = (await store.Streams.GetActiveSegmentsAsync("demo", "load")).Count;
    await stop.CancelAsync();
    long read = await reading;
    Console.WriteLine($"wrote {written:N0} events; the stream went from 1 to {maxSegments} segments and back to {final}; " +
                      $"the reader read {read:N0} of them so far, every key in order");
}
if (temporary) Directory.Delete(root, recursive: true);

// Reads the stream as it grows and shrinks, checking that each key's numbers only increase (order across scaling).
static async Task<long> FollowAsync(StreamStore store, CancellationToken ct)
{
    await using var reader = store.CreateReader("follower", "demo", "followers", Serializers.Utf8);
    var last = new Dictionary<long, long>();
    long read = 0;
    try
    {
        await foreach (var e in reader.ReadEventsAsync(ct))
        {
            if (!e.HasEvent) continue;
            long n = long.Parse(e.Event!, System.Globalization.CultureInfo.InvariantCulture);
            if (last.TryGetValue(n % Keys, out long previous) && previous > n)
                throw new InvalidOperationException($"key-{n % Keys}: event {n} read after {previous}");
            last[n % Keys] = n;
            read++;
        }
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
    }
    return read;
}
