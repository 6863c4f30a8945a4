using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using HdrHistogram;

namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>
/// The macro load: runs W1-W5 against the raw baseline (growing file, and pre-zeroed) and the store (a Fixed(1) and a
/// Fixed(4) stream), each system in a fresh directory under one temporary root, measures the disk's physical limit with
/// fio (<see cref="PhysicalLimit"/>) in the same run, and prints markdown tables: throughput, ack latency percentiles
/// (HdrHistogram), CPU and allocation, and the ratios against the performance issue's targets.
/// </summary>
/// <remarks>
/// Options: <c>--events N</c> measured events per workload (default W1 20,000, W2 500,000, W3 2,048 of 1 MiB; a
/// tenth of that again to warm up), <c>--dir D</c> the directory to create the temporary root in (default the
/// system temp directory), <c>--only W1,W3</c> a subset of workloads, <c>--systems raw,zeroed,wal,store</c> which
/// systems (default all but <c>wal</c>, the store's WAL alone, for diagnosis; <c>store</c> is Fixed(1), <c>store4</c>
/// Fixed(4)), <c>--wal-file-mib M</c> the WAL file size of the store and the WAL alone (default 32),
/// <c>--wal-no-prezero</c> no zero-filling in the WAL alone, <c>--no-fio</c> no physical-limit row.
/// </remarks>
internal static class LoadRunner
{
    /// <summary>Size of the pre-zeroed baseline's recycled file: well above the largest batch (8 × 1 MiB frames).</summary>
    private const int RecycledFileSize = 64 << 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var workloads = new List<Workload>(Workload.Defaults);
        string parent = Path.GetTempPath();
        SystemKind[] systems = [SystemKind.RawGrowing, SystemKind.RawPreZeroed, SystemKind.Store, SystemKind.Store4];
        bool fio = true;
        var wal = new WalSettings(Tier1.WalOptions.DefaultFileSize, PreZero: true);
        int? events = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--events" when i + 1 < args.Length:
                    events = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--dir" when i + 1 < args.Length:
                    parent = args[++i];
                    break;
                case "--only" when i + 1 < args.Length:
                    var names = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    workloads.RemoveAll(w => !names.Contains(w.Name, StringComparer.OrdinalIgnoreCase));
                    break;
                case "--systems" when i + 1 < args.Length:
                    systems = Array.ConvertAll(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), ParseSystem);
                    break;
                case "--wal-file-mib" when i + 1 < args.Length:
                    wal = wal with { FileSize = int.Parse(args[++i], CultureInfo.InvariantCulture) << 20 };
                    break;
                case "--wal-no-prezero":
                    wal = wal with { PreZero = false };
                    break;
                case "--no-fio":
                    fio = false;
                    break;
                default:
                    Console.Error.WriteLine("usage: load [--events N] [--dir D] [--only W1,...,W5] [--systems raw,zeroed,wal,store,store4] [--wal-file-mib M] [--wal-no-prezero] [--no-fio]");
                    return 2;
            }
        }
        if (events is { } n) workloads = workloads.ConvertAll(w => w.WithEvents(n));

        string root = Path.Combine(Path.GetFullPath(parent), "pravega-bench-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var total = Stopwatch.StartNew();
        try
        {
            Console.WriteLine(MachineDescription(root));
            var limit = fio ? await PhysicalLimit.MeasureAsync(root, TimeSpan.FromSeconds(10)) : null;
            if (limit is not null)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Physical limit (fio, this run): 4 KiB overwrite + fdatasync, three files in parallel: {limit.OverwriteSyncMicros:N0} µs mean; " +
                    $"three parallel 1 MiB O_DIRECT streams (qd 8): {limit.DirectMegabytesPerSecond:N0} MB/s, {limit.PerMirrorMegabytesPerSecond:N0} MB/s per mirror of three\n"));
            var results = new List<LoadResult>();
            foreach (var workload in workloads) results.AddRange(await RunWorkloadAsync(root, workload, systems, wal));
            Console.WriteLine(ResultsTable(results));
            foreach (var r in results)
                if (r.Note is not null) Console.WriteLine("- " + r.Note);
            Console.WriteLine();
            Console.WriteLine(RatiosTable(results, workloads, limit));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load run took {total.Elapsed.TotalSeconds:N0} s; load average at the end: {LoadAverage()}."));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Opens every system in its own directory under <paramref name="root"/>, warms each up, then measures them one after
    /// the other (in <see cref="Workload.Rounds"/> turns); closes and deletes everything afterwards.
    /// </summary>
    private static async Task<LoadResult[]> RunWorkloadAsync(string root, Workload workload, SystemKind[] systems, WalSettings wal)
    {
        var targets = new ILoadTarget?[systems.Length];
        var dirs = new string[systems.Length];
        try
        {
            for (int s = 0; s < systems.Length; s++)
            {
                dirs[s] = Path.Combine(root, $"{workload.Name}-{systems[s]}");
                var mirrors = new string[3];
                for (int m = 0; m < mirrors.Length; m++) mirrors[m] = Directory.CreateDirectory(Path.Combine(dirs[s], $"tier1-{m}")).FullName;
                targets[s] = systems[s] switch
                {
                    SystemKind.Store => await StoreTarget.OpenAsync(dirs[s], segments: 1, workload.Writers, wal.FileSize),
                    SystemKind.Store4 => await StoreTarget.OpenAsync(dirs[s], segments: 4, workload.Writers, wal.FileSize),
                    SystemKind.Wal => new WalTarget(mirrors, wal.FileSize, wal.PreZero),
                    SystemKind.RawPreZeroed => new RawTarget(RawBaseline.OpenPreZeroed(mirrors, RecycledFileSize)),
                    _ => new RawTarget(RawBaseline.OpenGrowing(mirrors)),
                };
            }

            var random = new Random(7);
            var payloads = new byte[workload.InFlight][];
            for (int k = 0; k < payloads.Length; k++) random.NextBytes(payloads[k] = new byte[workload.EventSize]);
            var keys = new string[workload.Keys];
            for (int k = 0; k < keys.Length; k++) keys[k] = "key-" + k.ToString(CultureInfo.InvariantCulture);

            for (int s = 0; s < systems.Length; s++)
            {
                Console.Error.WriteLine($"{workload.Name} {Label(systems[s])}: warm-up {workload.WarmupEvents:N0} events");
                await DriveAsync(targets[s]!, workload, payloads, keys, workload.WarmupEvents, latencies: null, 0);
            }
            var filesBefore = Array.ConvertAll(targets, WalFiles);

            var latencies = new long[systems.Length][];
            var elapsed = new TimeSpan[systems.Length];
            var cpu = new TimeSpan[systems.Length];
            var allocated = new long[systems.Length];
            for (int s = 0; s < systems.Length; s++) latencies[s] = new long[workload.Events];
            using var process = Process.GetCurrentProcess();
            for (int round = 0; round < workload.Rounds; round++)
            {
                int first = round * workload.Events / workload.Rounds;
                int count = (round + 1) * workload.Events / workload.Rounds - first;
                for (int turn = 0; turn < systems.Length; turn++)
                {
                    int s = (round + turn) % systems.Length;
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    Console.Error.Write($"{workload.Name} {Label(systems[s])}: measure {count:N0} events ... ");
                    process.Refresh();
                    var cpuBefore = process.TotalProcessorTime;
                    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                    var took = await DriveAsync(targets[s]!, workload, payloads, keys, count, latencies[s], first);
                    allocated[s] += GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                    process.Refresh();
                    cpu[s] += process.TotalProcessorTime - cpuBefore;
                    elapsed[s] += took;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{count / took.TotalSeconds:N0} events/s, {count / took.TotalSeconds * workload.EventSize / 1e6:N1} MB/s"));
                }
            }

            var results = new LoadResult[systems.Length];
            for (int s = 0; s < systems.Length; s++)
            {
                var histogram = new LongHistogram(TimeSpan.FromMinutes(1).Ticks * 100, 3); // nanoseconds, up to a minute
                double nanosPerTick = 1e9 / Stopwatch.Frequency;
                foreach (long ticks in latencies[s]) histogram.RecordValue((long)(ticks * nanosPerTick));
                var files = WalFiles(targets[s]);
                string? note = targets[s] is StoreTarget or WalTarget
                    ? $"{workload.Name} {Label(systems[s])}: {files.Activated - filesBefore[s].Activated} WAL files started while measuring, " +
                      $"{files.NotReady - filesBefore[s].NotReady} of them not fully zero-filled in time, {files.Recycled - filesBefore[s].Recycled} recycled"
                    : null;
                results[s] = new LoadResult(workload, systems[s], elapsed[s], histogram, cpu[s], allocated[s], targets[s]!.BytesPerEvent(workload.EventSize), note);
            }
            return results;
        }
        finally
        {
            foreach (var t in targets)
                if (t is not null) await t.DisposeAsync();
            foreach (string? d in dirs)
                if (d is not null && Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    /// <summary>
    /// <see cref="Workload.InFlight"/> callers share <paramref name="count"/> events; each writes one, awaits its
    /// acknowledgement, records the latency (at <paramref name="offset"/> + its index), and takes the next. Returns the wall time until the last is acknowledged.
    /// </summary>
    /// <summary>The store's (and the WAL-alone system's) log file size and zero-filling.</summary>
    private sealed record WalSettings(int FileSize, bool PreZero);

    private static async Task<TimeSpan> DriveAsync(ILoadTarget target, Workload workload, byte[][] payloads, string[] keys, int count, long[]? latencies, int offset)
    {
        int next = -1;
        var callers = new Task[Math.Min(workload.InFlight, count)];
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < callers.Length; k++) callers[k] = Caller(k, payloads[k]);
        await Task.WhenAll(callers);
        return Stopwatch.GetElapsedTime(start);

        async Task Caller(int caller, byte[] payload)
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= count) return;
                long begin = Stopwatch.GetTimestamp();
                await target.WriteAsync(caller, keys[i % keys.Length], payload);
                if (latencies is not null) latencies[offset + i] = Stopwatch.GetTimestamp() - begin;
            }
        }
    }

    internal static string MachineDescription(string root)
    {
        string fileSystem;
        try
        {
            fileSystem = new DriveInfo(root).DriveFormat;
        }
#pragma warning disable CA1031 // only a description
        catch (Exception)
#pragma warning restore CA1031
        {
            fileSystem = "unknown";
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
            $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, file system of the temp root: {fileSystem}, " +
            $"load average at the start: {LoadAverage()}\n");
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to judge how much else ran beside the benchmark.</summary>
    internal static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path)) return "n/a";
        string[] fields = File.ReadAllText(path).Split(' ');
        return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : "n/a";
    }

    private static (int Activated, int NotReady, int Recycled) WalFiles(ILoadTarget? target) => target switch
    {
        StoreTarget st => st.WalFiles,
        WalTarget wt => wt.WalFiles,
        _ => default,
    };

    private static SystemKind ParseSystem(string name) => name.ToUpperInvariant() switch
    {
        "RAW" => SystemKind.RawGrowing,
        "ZEROED" => SystemKind.RawPreZeroed,
        "WAL" => SystemKind.Wal,
        "STORE" => SystemKind.Store,
        "STORE4" => SystemKind.Store4,
        _ => throw new ArgumentException($"Unknown system '{name}': raw, zeroed, wal, store or store4.", nameof(name)),
    };

    private static string Label(SystemKind system) => system switch
    {
        SystemKind.RawGrowing => "raw (growing file)",
        SystemKind.RawPreZeroed => "raw (pre-zeroed, recycled)",
        SystemKind.Wal => "WAL alone",
        SystemKind.Store4 => "store, Fixed(4)",
        _ => "store, Fixed(1)",
    };

    private static string ResultsTable(List<LoadResult> results)
    {
        var s = new StringBuilder();
        s.AppendLine("| workload | system | events | events/s | MB/s | p50 µs | p99 µs | p99.9 µs | max µs | bytes/event per mirror | CPU % of one core | allocated B/event |");
        s.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in results)
        {
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Workload.Name} | {Label(r.System)} | {r.Workload.Events:N0} | {r.EventsPerSecond:N0} | {r.MegabytesPerSecond:N1} | " +
                $"{r.Micros(50):N0} | {r.Micros(99):N0} | {r.Micros(99.9):N0} | {r.LatencyNanos.GetMaxValue() / 1000.0:N0} | " +
                $"{r.BytesPerEvent:N0} | {r.CpuPercent:N0} | {r.AllocatedPerEvent:N0} |"));
        }
        return s.ToString();
    }

    /// <summary>
    /// The performance issue's targets, per store system: W1 p50 at most 0.6x raw3 and 1.5x the disk's overwrite+sync
    /// latency; W2 at least 1.5x raw3, W4 2.5x, W5 1.0x (events/s); W3 at least 0.9x the disk's per-mirror bandwidth.
    /// </summary>
    private static string RatiosTable(List<LoadResult> results, List<Workload> workloads, PhysicalLimit? limit)
    {
        var s = new StringBuilder();
        s.AppendLine("| workload | system | metric | store | baseline | baseline value | store / baseline | target | met |");
        s.AppendLine("|---|---|---|--:|---|--:|--:|---|---|");
        foreach (var w in workloads)
        {
            var raw = results.Find(r => r.Workload == w && r.System == SystemKind.RawGrowing);
            foreach (var store in results.Where(r => r.Workload == w && r.System is SystemKind.Store or SystemKind.Store4))
            {
                if (raw is not null)
                {
                    switch (w.Name)
                    {
                        case "W1": s.AppendLine(Row(store, "p50 ack µs", store.Micros(50), "raw3", raw.Micros(50), "≤ 0.6×", lowerIsBetter: true, 0.6)); break;
                        case "W2": s.AppendLine(Row(store, "events/s", store.EventsPerSecond, "raw3", raw.EventsPerSecond, "≥ 1.5×", lowerIsBetter: false, 1.5)); break;
                        case "W4": s.AppendLine(Row(store, "events/s", store.EventsPerSecond, "raw3", raw.EventsPerSecond, "≥ 2.5×", lowerIsBetter: false, 2.5)); break;
                        case "W5": s.AppendLine(Row(store, "events/s", store.EventsPerSecond, "raw3", raw.EventsPerSecond, "≥ 1.0×", lowerIsBetter: false, 1.0)); break;
                        default: s.AppendLine(Row(store, "MB/s", store.MegabytesPerSecond, "raw3", raw.MegabytesPerSecond, "-", lowerIsBetter: false, null)); break;
                    }
                }
                if (limit is null) continue;
                if (w.Name == "W1")
                    s.AppendLine(Row(store, "p50 ack µs", store.Micros(50), "fio overwrite+sync x3", limit.OverwriteSyncMicros, "≤ 1.5×", lowerIsBetter: true, 1.5));
                if (w.Name == "W3")
                    s.AppendLine(Row(store, "MB/s", store.MegabytesPerSecond, "fio O_DIRECT / 3", limit.PerMirrorMegabytesPerSecond, "≥ 0.9×", lowerIsBetter: false, 0.9));
            }
        }
        return s.ToString();

        static string Row(LoadResult store, string metric, double value, string baseline, double baselineValue, string target, bool lowerIsBetter, double? goal)
        {
            double ratio = value / baselineValue;
            string met = goal is not { } g ? "" : (lowerIsBetter ? ratio <= g : ratio >= g) ? "yes" : "**no**";
            return string.Create(CultureInfo.InvariantCulture,
                $"| {store.Workload.Name} | {Label(store.System)} | {metric} | {value:N0} | {baseline} | {baselineValue:N0} | {ratio:N2} | {target} | {met} |");
        }
    }
}

/// <summary>One measured run of one workload against one system.</summary>
internal sealed record LoadResult(Workload Workload, SystemKind System, TimeSpan Elapsed, LongHistogram LatencyNanos, TimeSpan Cpu, long Allocated, int BytesPerEvent, string? Note)
{
    public double EventsPerSecond => Workload.Events / Elapsed.TotalSeconds;

    /// <summary>Event payload bytes per second, in 10^6 bytes (framing not counted).</summary>
    public double MegabytesPerSecond => EventsPerSecond * Workload.EventSize / 1e6;

    public double CpuPercent => 100 * Cpu.TotalSeconds / Elapsed.TotalSeconds;

    public double AllocatedPerEvent => (double)Allocated / Workload.Events;

    public double Micros(double percentile) => LatencyNanos.GetValueAtPercentile(percentile) / 1000.0;
}
