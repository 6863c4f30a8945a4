// QuickStart: an embedded store in a temporary (or given) directory; 100,000 events over 16 routing keys,
// written with up to 256 in flight, then read back in per-key order by a reader group.
using System.Diagnostics;
using Pravega.Embedded;

string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "pravega-quickstart-" + Guid.NewGuid().ToString("N"));
bool temporary = args.Length == 0;
const int Events = 100_000, Keys = 16, InFlight = 256;

await using (var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root)))
{
    await store.Streams.CreateScopeAsync("demo");
    await store.Streams.CreateStreamAsync("demo", "sensors", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(4) });

    // Write: every acknowledgement means the event is durable in all three Tier-1 mirrors.
    await using var writer = store.CreateEventWriter("demo", "sensors", Serializers.Utf8);
    var latencies = new long[Events];
    var pending = new Queue<Task>();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < Events; i++)
    {
        if (pending.Count == InFlight) await pending.Dequeue();
        int n = i;
        long start = Stopwatch.GetTimestamp();
        pending.Enqueue(writer.WriteEventAsync($"sensor-{n % Keys}", $"reading {n}")
            .ContinueWith(_ => latencies[n] = Stopwatch.GetTimestamp() - start, TaskScheduler.Default));
    }
    await Task.WhenAll(pending);
    var writeTime = clock.Elapsed;
    Array.Sort(latencies);
    double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
    Console.WriteLine($"wrote {Events:N0} events in {writeTime.TotalSeconds:F2} s: {Events / writeTime.TotalSeconds:N0} events/s, " +
                      $"ack latency p50 {Micros(latencies[Events / 2]):F0} µs, p99 {Micros(latencies[Events * 99 / 100]):F0} µs");

    // Read back with a one-reader group, checking per-key order.
    await store.ReaderGroups.CreateReaderGroupAsync("demo", "readers", ReaderGroupConfig.ForStream("demo", "sensors"));
    await using var reader = store.CreateReader("reader-1", "demo", "readers", Serializers.Utf8);
    var lastPerKey = new int[Keys];
    Array.Fill(lastPerKey, -1);
    clock.Restart();
    for (int read = 0; read < Events;)
    {
        var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
        if (!e.HasEvent) throw new InvalidOperationException("Timed out before reading every event.");
        int n = int.Parse(e.Event!.AsSpan("reading ".Length), System.Globalization.CultureInfo.InvariantCulture);
        if (n <= lastPerKey[n % Keys]) throw new InvalidOperationException($"Event {n} out of order for its key.");
        lastPerKey[n % Keys] = n;
        read++;
    }
    var readTime = clock.Elapsed;
    Console.WriteLine($"read {Events:N0} events in {readTime.TotalSeconds:F2} s: {Events / readTime.TotalSeconds:N0} events/s, per-key order held");
}
Console.WriteLine(temporary ? "done (temporary store removed)" : $"done (store kept in {root})");
if (temporary) Directory.Delete(root, recursive: true);
