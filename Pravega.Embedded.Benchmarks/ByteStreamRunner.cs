using System.Diagnostics;
using System.Globalization;
using Pravega.Embedded.Benchmarks.Load;
using Pravega.Embedded.Benchmarks.Read;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Byte streams against the raw 3-mirror baseline of the <c>load</c> runner (<see cref="RawBaseline.OpenGrowing"/>), rounds
/// interleaved (the machine is noisy). A round writes <c>--mib</c> MiB in writes of <c>--write-kib</c> KiB, flushing every
/// <c>--flush-mib</c> MiB: through a <see cref="ByteStreamWriter"/> (WriteAsync, FlushAsync), and as the same appends to
/// the baseline, awaiting the last append of each flush's worth. Then it reads it all back: the byte stream from its
/// start with a <see cref="ByteStreamReader"/>, the baseline's file with <see cref="RawSequentialRead"/> (both warm in the
/// page cache). Reports MB/s (medians) and the ratios (issue target: write at least 0.9x). Markdown on stdout.
/// </summary>
internal static class ByteStreamRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string parent = Path.GetTempPath();
        int mib = 1024, writeKib = 1024, flushMib = 16, rounds = 3;
        bool tier2 = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dir" when i + 1 < args.Length: parent = args[++i]; break;
                case "--mib" when i + 1 < args.Length: mib = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--write-kib" when i + 1 < args.Length: writeKib = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--flush-mib" when i + 1 < args.Length: flushMib = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-tier2": tier2 = false; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }
        long total = (long)mib << 20;
        int writeBytes = writeKib << 10, perFlush = Math.Max(1, (flushMib << 20) / writeBytes);
        Console.WriteLine($"{mib} MiB per round in writes of {writeKib} KiB, a flush every {flushMib} MiB, {rounds} rounds (after one warm-up), Tier-2 {(tier2 ? "on" : "off")}; MB/s");
        Console.WriteLine();
        List<double> rawWrite = [], storeWrite = [], rawRead = [], storeRead = [];
        var payload = new byte[writeBytes];
        new Random(1).NextBytes(payload);
        for (int round = -1; round < rounds; round++)
        {
            string root = Path.Combine(parent, "pravega-bytes-" + Guid.NewGuid().ToString("N"));
            try
            {
                var (rw, rr) = await RawAsync(Path.Combine(root, "raw"), payload, total, perFlush);
                var (sw, sr) = await StoreAsync(Path.Combine(root, "store"), payload, total, perFlush, tier2);
                if (round < 0) continue;
                rawWrite.Add(rw);
                rawRead.Add(rr);
                storeWrite.Add(sw);
                storeRead.Add(sr);
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
        Console.WriteLine("| | raw 3 mirrors | byte stream | byte stream / raw |");
        Console.WriteLine("|---|--:|--:|--:|");
        Console.WriteLine($"| write (p50) | {Median(rawWrite):F0} | {Median(storeWrite):F0} | {Median(storeWrite) / Median(rawWrite):F2}x |");
        Console.WriteLine($"| read (p50) | {Median(rawRead):F0} | {Median(storeRead):F0} | {Median(storeRead) / Median(rawRead):F2}x |");
        Console.WriteLine();
        Console.WriteLine($"rounds: write raw {Join(rawWrite)}; store {Join(storeWrite)}; read raw {Join(rawRead)}; store {Join(storeRead)}");
        return 0;
    }

    private static async Task<(double Write, double Read)> RawAsync(string root, byte[] payload, long total, int perFlush)
    {
        string[] mirrors = [.. Enumerable.Range(0, 3).Select(m => Path.Combine(root, "tier1-" + m.ToString(CultureInfo.InvariantCulture)))];
        foreach (string m in mirrors) Directory.CreateDirectory(m);
        var watch = Stopwatch.StartNew();
        await using (var raw = RawBaseline.OpenGrowing(mirrors))
        {
            Task last = Task.CompletedTask;
            int n = 0;
            for (long written = 0; written < total; written += payload.Length)
            {
                last = raw.AppendAsync(payload);
                if (++n % perFlush == 0) await last;
            }
            await last;
        }
        double write = MBps(total, watch.Elapsed);
        var (bytes, elapsed) = RawSequentialRead.ReadFiles([Path.Combine(mirrors[0], RawBaseline.FileName)]);
        return (write, MBps(bytes, elapsed));
    }

    private static async Task<(double Write, double Read)> StoreAsync(string root, byte[] payload, long total, int perFlush, bool tier2)
    {
        var options = StreamStoreOptions.InDirectory(root);
        await using var store = await StreamStore.OpenAsync(tier2 ? options : options with { Tier2Directory = null });
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "video", new StreamConfiguration());
        var watch = Stopwatch.StartNew();
        await using (var writer = store.CreateByteStreamWriter("s", "video"))
        {
            int n = 0;
            for (long written = 0; written < total; written += payload.Length)
            {
                await writer.WriteAsync(payload);
                if (++n % perFlush == 0) await writer.FlushAsync();
            }
            await writer.FlushAsync();
        }
        double write = MBps(total, watch.Elapsed);
        using var reader = store.CreateByteStreamReader("s", "video");
        var buffer = new byte[1 << 20];
        watch.Restart();
        long read = 0;
        while (read < total) read += await reader.ReadAsync(buffer);
        return (write, MBps(read, watch.Elapsed));
    }

    private static double MBps(long bytes, TimeSpan elapsed) => bytes / 1e6 / elapsed.TotalSeconds;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));
}
