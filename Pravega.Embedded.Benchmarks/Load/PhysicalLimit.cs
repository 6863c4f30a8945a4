using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>
/// What the disk allows three mirrors on it, measured with fio (a Debian package: <c>apt-get install -y fio</c>) in the
/// same run as the workloads: the mean latency of a 4 KiB overwrite plus fdatasync with three files in parallel (each
/// written once before, so no write extends or allocates), and the bandwidth of three parallel 1 MiB <c>O_DIRECT</c>
/// write streams at queue depth 8, divided by three (the limit for three copies on one disk).
/// </summary>
internal sealed record PhysicalLimit(double OverwriteSyncMicros, double DirectMegabytesPerSecond)
{
    /// <summary>Payload bandwidth left for one of three mirrors.</summary>
    public double PerMirrorMegabytesPerSecond => DirectMegabytesPerSecond / 3;

    /// <summary>Runs both fio jobs in <paramref name="root"/> (about 20 s); null, with the reason on stderr, when fio is not there.</summary>
    public static async Task<PhysicalLimit?> MeasureAsync(string root, TimeSpan runtime)
    {
        string dir = Directory.CreateDirectory(Path.Combine(root, "fio")).FullName;
        try
        {
            string seconds = ((int)Math.Max(1, runtime.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            using var overwrite = await RunAsync(dir, "overwrite",
                "--numjobs=3 --size=64m --bs=4k --rw=write --overwrite=1 --fdatasync=1 --ioengine=sync " +
                $"--runtime={seconds} --time_based --group_reporting");
            using var direct = await RunAsync(dir, "direct",
                "--numjobs=3 --size=256m --bs=1m --rw=write --direct=1 --ioengine=libaio --iodepth=8 " +
                $"--runtime={seconds} --time_based --group_reporting");
            if (overwrite is null || direct is null) return null;
            // Each job writes and syncs one block at a time: its mean latency is its time per write.
            double iops = Write(overwrite).GetProperty("iops").GetDouble();
            double bandwidth = Write(direct).GetProperty("bw_bytes").GetDouble();
            return new PhysicalLimit(3 * 1e6 / iops, bandwidth / 1e6);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        static JsonElement Write(JsonDocument report) => report.RootElement.GetProperty("jobs")[0].GetProperty("write");
    }

    private static async Task<JsonDocument?> RunAsync(string dir, string name, string arguments)
    {
        string output = Path.Combine(dir, name + ".json");
        var start = new ProcessStartInfo("fio", $"--name={name} --directory={dir} --output-format=json --output={output} {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("fio is not installed (apt-get install -y fio): no physical-limit row.");
            return null;
        }
        if (process is null) return null;
        using (process)
        {
            string error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                Console.Error.WriteLine($"fio {name} failed ({process.ExitCode}): {error}");
                return null;
            }
        }
        return JsonDocument.Parse(await File.ReadAllTextAsync(output));
    }
}
