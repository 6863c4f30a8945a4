using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;
using Pravega.Embedded.Benchmarks.Load;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// The read benchmarks: tail latency with 1 and 8 readers (<see cref="TailLatency"/>), then catch-up throughput of a
/// whole stream (<see cref="CatchUpStream"/>) against the raw sequential read of the same WAL files, in the same run.
/// Markdown tables on stdout, progress on stderr.
/// </summary>
/// <remarks>
/// Options: <c>--dir D</c> where to create the temporary root (default the system temp directory); <c>--gib N</c>
/// size of the 64 KiB-event stream (default 1, fractions allowed); <c>--small-mib M</c> size of the 1 KiB-event
/// stream (default 256; 0 skips it); <c>--tail-events N</c> measured events per tail run (default 20,000, a tenth more
/// to warm up); <c>--tail-inflight K</c> the writer's events in flight (default 2); <c>--tail-rounds N</c> runs of each
/// reader count, alternating their order (default 2); <c>--rounds N</c> catch-up rounds, the systems taking turns
/// (default 7); <c>--no-reopen</c> read without closing and reopening the store after writing; <c>--cold</c> also a
/// cold-cache read of each system (drops the page cache before it; root only); <c>--only tail|catchup</c>.
/// </remarks>
internal static class ReadRunner
{
    private const int LargeEvent = 64 << 10;
    private const int SmallEvent = 1 << 10;

    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        double gib = 1;
        int smallMib = 256;
        int tailEvents = 20_000;
        int tailInFlight = 2;
        int rounds = 7;
        int tailRounds = 2;
        bool reopen = true;
        bool cold = false;
        bool tail = true, catchUp = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length:
                    parent = args[++i];
                    break;
                case "--gib" when i + 1 < args.Length:
                    gib = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--small-mib" when i + 1 < args.Length:
                    smallMib = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--tail-events" when i + 1 < args.Length:
                    tailEvents = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--tail-inflight" when i + 1 < args.Length:
                    tailInFlight = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--tail-rounds" when i + 1 < args.Length:
                    tailRounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rounds" when i + 1 < args.Length:
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--no-reopen":
                    reopen = false;
                    break;
                case "--cold":
                    cold = true;
                    break;
                case "--only" when i + 1 < args.Length && args[i + 1] is "tail" or "catchup":
                    tail = args[++i] == "tail";
                    catchUp = !tail;
                    break;
                default:
                    Console.Error.WriteLine("usage: read [--dir D] [--gib N] [--small-mib M] [--tail-events N] [--tail-inflight K] [--tail-rounds N] [--rounds N] [--no-reopen] [--cold] [--only tail|catchup]");
                    return 2;
            }
        }

        string root = Path.Combine(Path.GetFullPath(parent), "pravega-bench-read-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var total = Stopwatch.StartNew();
        try
        {
            Console.WriteLine(LoadRunner.MachineDescription(root));
            if (tail)
            {
                var results = new List<TailResult>();
                await using (var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(Path.Combine(root, "tail"))))
                {
                    await store.Streams.CreateScopeAsync("bench");
                    // Rounds alternate the order (1, 8, then 8, 1, ...) so that drift in the machine's load hits both alike.
                    for (int round = 0; round < tailRounds; round++)
                    {
                        foreach (int readers in round % 2 == 0 ? (int[])[1, 8] : [8, 1])
                        {
                            string stream = string.Create(CultureInfo.InvariantCulture, $"tail-{round + 1}-r{readers}");
                            results.Add(await TailLatency.RunAsync(store, stream, readers, tailEvents, Math.Max(1, tailEvents / 10), tailInFlight));
                        }
                    }
                }
                Console.WriteLine(TailTable(results));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load average after the tail runs: {LoadRunner.LoadAverage()}.\n"));
            }
            if (catchUp)
            {
                var measurements = new List<CatchUpMeasurement>();
                var notes = new List<string>();
                foreach (var (eventSize, bytes, inFlight) in ((int, long, int)[])[(LargeEvent, (long)(gib * (1L << 30)), 8), (SmallEvent, (long)smallMib << 20, 256)])
                {
                    if (bytes < eventSize) continue;
                    string dir = Path.Combine(root, "catchup-" + eventSize.ToString(CultureInfo.InvariantCulture));
                    measurements.AddRange(await CatchUpAsync(dir, eventSize, bytes, inFlight, rounds, reopen, cold, notes));
                    Directory.Delete(dir, recursive: true); // 3 GiB per GiB of stream on disk (three mirrors)
                }
                Console.WriteLine(CatchUpTable(measurements));
                foreach (string note in notes) Console.WriteLine("- " + note);
                Console.WriteLine();
                Console.WriteLine(RatioTable(measurements));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Read run took {total.Elapsed.TotalSeconds:N0} s; load average at the end: {LoadRunner.LoadAverage()}."));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Writes the stream and reopens the store (unless told not to); after a warm-up pass, measures
    /// <paramref name="rounds"/> rounds of the raw read and the store with each deserializer, the first one rotating;
    /// then reopens again and measures the first read of the new mappings; then the optional cold reads.
    /// </summary>
    private static async Task<List<CatchUpMeasurement>> CatchUpAsync(string dir, int eventSize, long bytes, int inFlight, int rounds, bool reopen, bool cold, List<string> notes)
    {
        string size = eventSize >= 1 << 10 ? $"{eventSize >> 10} KiB" : $"{eventSize} B";
        Console.Error.Write($"catch-up {size}: writing {bytes / (double)(1 << 20):N0} MiB ... ");
        await using var stream = await CatchUpStream.WriteAsync(dir, eventSize, bytes, inFlight);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stream.PayloadBytes / stream.WriteTime.TotalSeconds / 1e6:N0} MB/s"));
        string note = string.Create(CultureInfo.InvariantCulture,
            $"{size} events: {stream.Events:N0} events ({stream.PayloadBytes / (double)(1 << 20):N0} MiB of payload) written in {stream.WriteTime.TotalSeconds:N1} s " +
            $"({inFlight} in flight); WAL files in mirror 0: {Directory.GetFiles(stream.Mirror, "wal-*.log").Length}");
        if (reopen)
        {
            await stream.ReopenAsync();
            note += string.Create(CultureInfo.InvariantCulture, $"; store closed and reopened, the reopen (WAL recovery) took {stream.ReopenTime!.Value.TotalSeconds:N2} s");
        }
        else
        {
            note += "; read without reopening the store";
        }
        notes.Add(note);

        var raw = stream.ReadRawAsync;
        var bytesRead = () => stream.ReadStoreAsync(ReadSystems.StoreBytes, Serializers.Bytes, static b => b.Length);
        var lengthRead = () => stream.ReadStoreAsync(ReadSystems.StoreLength, LengthOnlySerializer.Instance, static n => n);
        var uninitializedRead = () => stream.ReadStoreAsync(ReadSystems.StoreUninitialized, UninitializedBytesSerializer.Instance, static b => b.Length);
        var reused = new ReusedBufferSerializer();
        var reusedRead = () => stream.ReadStoreAsync(ReadSystems.StoreReused, reused, static n => n);
        var batchRead = () => stream.ReadStoreBatchAsync();
        var results = new List<CatchUpMeasurement>();

        // Not counted: JIT warm-up (tiered compilation), page tables of the mappings, anything else a first pass pays.
        Console.Error.WriteLine($"catch-up {size}: warm-up pass");
        foreach (var read in (Func<Task<CatchUpMeasurement>>[])[raw, bytesRead, lengthRead, uninitializedRead, reusedRead, batchRead]) Report(await read(), "warm-up");

        Func<Task<CatchUpMeasurement>>[] systems = [raw, bytesRead, lengthRead, uninitializedRead, reusedRead, batchRead];
        for (int round = 0; round < rounds; round++)
        {
            for (int turn = 0; turn < systems.Length; turn++)
                results.Add(Report(await systems[(round + turn) % systems.Length](), $"round {round + 1}"));
        }

        if (reopen)
        {
            // The first read after opening maps the WAL files anew (page cache still warm): page faults on first touch.
            await stream.ReopenAsync();
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{size} events: reopened again after the rounds in {stream.ReopenTime!.Value.TotalSeconds:N2} s"));
            foreach (var read in (Func<Task<CatchUpMeasurement>>[])[raw, bytesRead, batchRead])
                results.Add(Report(await read() with { Phase = Phases.FirstAfterReopen }, Phases.FirstAfterReopen));
        }

        if (cold)
        {
            foreach (var read in (Func<Task<CatchUpMeasurement>>[])[raw, bytesRead, lengthRead])
            {
                await stream.ReopenAsync(); // the drop spares pages mapped by the store, which the raw read would then find
                if (!CatchUpStream.DropCaches())
                {
                    notes.Add("cold round skipped: dropping the page cache is not allowed here");
                    break;
                }
                results.Add(Report(await read() with { Phase = Phases.Cold }, Phases.Cold));
            }
        }
        return results;

        CatchUpMeasurement Report(CatchUpMeasurement m, string when)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"catch-up {size} {when}: {m.System}: {m.MegabytesPerSecond:N0} MB/s, {m.MicrosPerEvent:N2} µs/event"));
            return m;
        }
    }

    private static string TailTable(List<TailResult> results)
    {
        var s = new StringBuilder();
        s.AppendLine("| readers | writer in flight | events | events/s | latency | p50 µs | p99 µs | p99.9 µs | max µs | events per reader | CPU % of one core |");
        s.AppendLine("|--:|--:|--:|--:|---|--:|--:|--:|--:|---|--:|");
        foreach (var r in results)
        {
            Row(r, string.Create(CultureInfo.InvariantCulture, $"ack → read (signed; {100.0 * r.ReadBeforeAck / r.Events:N0} % read before the ack)"),
                r.AckToReadMicros(50), r.AckToReadMicros(99), r.AckToReadMicros(99.9), r.AckToReadMicros(100));
            Row(r, "write call → read", TailResult.Micros(r.CallToRead, 50), TailResult.Micros(r.CallToRead, 99), TailResult.Micros(r.CallToRead, 99.9),
                r.CallToRead.GetMaxValue() / 1000.0);
            Row(r, "write call → ack", TailResult.Micros(r.CallToAck, 50), TailResult.Micros(r.CallToAck, 99), TailResult.Micros(r.CallToAck, 99.9),
                r.CallToAck.GetMaxValue() / 1000.0);
            if (r.Duplicates > 0) s.AppendLine(string.Create(CultureInfo.InvariantCulture, $"**{r.Duplicates} events read twice with R={r.Readers}**"));
        }
        return s.ToString();

        void Row(TailResult r, string name, double p50, double p99, double p999, double max) =>
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Readers} | {r.InFlight} | {r.Events:N0} | {r.EventsPerSecond:N0} | {name} | {p50:N0} | {p99:N0} | {p999:N0} | {max:N0} | " +
                $"{string.Join(" ", r.PerReader)} | {r.CpuPercent:N0} |"));
    }

    private static string CatchUpTable(List<CatchUpMeasurement> results)
    {
        var s = new StringBuilder();
        s.AppendLine("| event | when | system | bytes | ms | MB/s | µs/event | CPU % of one core | allocated B/event | gen0 GCs |");
        s.AppendLine("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var m in results)
        {
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m.EventSize:N0} | {m.Phase} | {m.System} | {m.Bytes:N0} | {m.Elapsed.TotalMilliseconds:N0} | {m.MegabytesPerSecond:N0} | {m.MicrosPerEvent:N2} | " +
                $"{m.CpuPercent:N0} | {m.AllocatedPerEvent:N0} | {m.Gen0} |"));
        }
        return s.ToString();
    }

    /// <summary>Per event size and phase: the median of each system's MB/s over the rounds, store / raw against the target.</summary>
    private static string RatioTable(List<CatchUpMeasurement> results)
    {
        var s = new StringBuilder();
        s.AppendLine("| event | when | raw MB/s | store (Bytes) MB/s | store / raw | target | met | per round store / raw | uninitialized array MB/s (/ raw) | reused buffer MB/s (/ raw) | length only µs/event | batch read MB/s (/ raw) | batch met | per round batch / raw |");
        s.AppendLine("|--:|---|--:|--:|--:|---|---|---|--:|--:|--:|--:|---|---|");
        var keys = new List<(int, string)>();
        foreach (var m in results)
            if (!keys.Contains((m.EventSize, m.Phase))) keys.Add((m.EventSize, m.Phase));
        foreach (var (size, phase) in keys)
        {
            var these = results.FindAll(m => m.EventSize == size && m.Phase == phase);
            var raw = these.FindAll(m => m.System == ReadSystems.Raw);
            var bytes = these.FindAll(m => m.System == ReadSystems.StoreBytes);
            var uninitialized = these.FindAll(m => m.System == ReadSystems.StoreUninitialized);
            var length = these.FindAll(m => m.System == ReadSystems.StoreLength);
            if (raw.Count == 0 || bytes.Count == 0) continue;
            double rawMbps = Median(raw, m => m.MegabytesPerSecond), bytesMbps = Median(bytes, m => m.MegabytesPerSecond);
            var perRound = new List<string>();
            for (int i = 0; i < Math.Min(raw.Count, bytes.Count); i++)
                perRound.Add((bytes[i].MegabytesPerSecond / raw[i].MegabytesPerSecond).ToString("N2", CultureInfo.InvariantCulture));
            double ratio = bytesMbps / rawMbps;
            var reused = these.FindAll(m => m.System == ReadSystems.StoreReused);
            var batch = these.FindAll(m => m.System == ReadSystems.StoreBatch);
            double batchRatio = batch.Count == 0 ? 0 : Median(batch, m => m.MegabytesPerSecond) / rawMbps;
            var batchRounds = new List<string>();
            for (int i = 0; i < Math.Min(raw.Count, batch.Count); i++)
                batchRounds.Add((batch[i].MegabytesPerSecond / raw[i].MegabytesPerSecond).ToString("N2", CultureInfo.InvariantCulture));
            string lengthMicros = length.Count == 0 ? "" : Median(length, m => m.MicrosPerEvent).ToString("N2", CultureInfo.InvariantCulture);
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {phase} | {rawMbps:N0} | {bytesMbps:N0} | {ratio:N2} | ≥ 0.70 | {(ratio >= 0.7 ? "yes" : "**no**")} | {string.Join(", ", perRound)} | " +
                $"{Throughput(uninitialized)} | {Throughput(reused)} | {lengthMicros} | {Throughput(batch)} | {(batch.Count == 0 ? "" : batchRatio >= 0.7 ? "yes" : "**no**")} | {string.Join(", ", batchRounds)} |"));

            string Throughput(List<CatchUpMeasurement> ms)
            {
                if (ms.Count == 0) return "";
                double mbps = Median(ms, m => m.MegabytesPerSecond);
                return string.Create(CultureInfo.InvariantCulture, $"{mbps:N0} ({mbps / rawMbps:N2})");
            }
        }
        return s.ToString();

        static double Median(List<CatchUpMeasurement> ms, Func<CatchUpMeasurement, double> value)
        {
            var v = ms.ConvertAll(m => value(m));
            v.Sort();
            return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
        }
    }
}
