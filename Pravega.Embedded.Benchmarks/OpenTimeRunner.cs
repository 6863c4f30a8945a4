using System.Diagnostics;
using System.Globalization;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Open time against history: a store takes <c>--gib</c> GiB of 1 KiB events (for each size given), once keeping
/// everything and once truncated as it goes (the head kept <c>--keep-mib</c> MiB behind the tail, as retention by size
/// does), then is closed and reopened, timed. Before container checkpoints both reopens replayed all history; now the
/// truncated store replays only what it keeps. Markdown on stdout, progress on stderr.
/// </summary>
internal static class OpenTimeRunner
{
    private const int EventSize = 1 << 10;

    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        var sizes = new List<double> { 0.25, 1, 2 };
        int keepMib = 64;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length:
                    parent = args[++i];
                    break;
                case "--gib" when i + 1 < args.Length:
                    sizes = [.. args[++i].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
                    break;
                case "--keep-mib" when i + 1 < args.Length:
                    keepMib = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        Console.WriteLine("| history | kept | WAL on disk per mirror | open ms (median of 3) | events replayed into the index |");
        Console.WriteLine("|--:|--:|--:|--:|--:|");
        foreach (double gib in sizes)
        {
            foreach (bool truncate in new[] { false, true })
            {
                string root = Path.Combine(parent, "pravega-open-" + Guid.NewGuid().ToString("N"));
                try
                {
                    long events = (long)(gib * (1L << 30) / EventSize);
                    await FillAsync(root, events, truncate ? keepMib << 20 : long.MaxValue);
                    var times = new List<double>();
                    long indexed = 0;
                    for (int round = 0; round < 3; round++)
                    {
                        var watch = Stopwatch.StartNew();
                        await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
                        times.Add(watch.Elapsed.TotalMilliseconds);
                        indexed = store.Runtime.Container.IndexedEvents;
                    }
                    times.Sort();
                    long walBytes = Directory.GetFiles(Path.Combine(root, "tier1-0"), "wal-*.log").Sum(f => new FileInfo(f).Length);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {gib:0.##} GiB | {(truncate ? $"{keepMib} MiB" : "all")} | {walBytes >> 20} MiB | {times[1]:F0} | {indexed:N0} |"));
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
        }
        return 0;
    }

    private static async Task FillAsync(string root, long events, long keepBytes)
    {
        Console.Error.WriteLine($"writing {events:N0} events, keeping {(keepBytes == long.MaxValue ? "all" : $"{keepBytes >> 20} MiB")}");
        await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(4) });
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Bytes);
        var payload = new byte[EventSize - 4];
        var pending = new Queue<Task>();
        var lastCut = Stopwatch.StartNew();
        for (long i = 0; i < events; i++)
        {
            pending.Enqueue(writer.WriteEventAsync($"k{i % 64}", payload));
            if (pending.Count >= 256) await pending.Dequeue();
            if (keepBytes != long.MaxValue && lastCut.ElapsedMilliseconds >= 250)
            {
                lastCut.Restart();
                await TruncateKeepingAsync(store, keepBytes);
            }
        }
        while (pending.Count > 0) await pending.Dequeue();
        if (keepBytes != long.MaxValue) await TruncateKeepingAsync(store, keepBytes);
    }

    /// <summary>Moves the head to keep about <paramref name="keepBytes"/> behind the tail (each segment its share), at event boundaries.</summary>
    private static async Task TruncateKeepingAsync(StreamStore store, long keepBytes)
    {
        var info = await store.Streams.GetStreamInfoAsync("s", "t");
        long share = keepBytes / info.Tail.Positions.Count;
        var positions = new Dictionary<long, long>();
        foreach (var (segment, tail) in info.Tail.Positions)
        {
            long target = Math.Max(info.Head.Positions[segment], tail - share);
            positions[segment] = target - (target % EventSize); // every event takes exactly EventSize bytes in a segment
        }
        await store.Streams.TruncateStreamAsync("s", "t", new StreamCut("s", "t", positions));
    }
}
