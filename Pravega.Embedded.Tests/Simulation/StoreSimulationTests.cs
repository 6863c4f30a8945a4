using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// The deterministic store simulation (<see cref="StoreSimulationRun"/>): random workloads through the public API over a
/// <see cref="SimulatedDevice"/>, with clean restarts, crashes, power failures and device faults, checked after every
/// recovery. The default run covers <see cref="DefaultSeeds"/> seeds; <see cref="Ten_thousand_seeds"/> (category
/// Simulation, excluded from a plain <c>dotnet test</c> by <c>test.runsettings</c>) covers 10,000.
/// A failure prints its seed and the command that replays it alone: <c>PRAVEGA_SIM_SEED=&lt;seed&gt; dotnet test
/// Pravega.Embedded.Tests --filter "FullyQualifiedName~StoreSimulationTests"</c> (then the first default chunk runs only
/// that seed, and the other chunks nothing). The log is stepped by the run, so a seed replays exactly
/// (<see cref="Seeds_replay_exactly"/>); <c>PRAVEGA_SIM_THREADS=1</c> runs the log's own threads instead (interleavings
/// then vary from run to run).
/// </summary>
public sealed class StoreSimulationTests(ITestOutputHelper output)
{
    public const int DefaultSeeds = 300;
    private const int ChunkSize = 25;

    public static TheoryData<int> Chunks()
    {
        var data = new TheoryData<int>();
        for (int c = 0; c < DefaultSeeds / ChunkSize; c++) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Seeds_hold_every_invariant(int chunk)
    {
        if (ReplaySeed() is { } replay)
        {
            if (chunk != 0) return;
            output.WriteLine($"replaying seed {replay}");
            await StoreSimulationRun.RunAsync(replay, Stepped);
            return;
        }
        var watch = Stopwatch.StartNew();
        for (int seed = (chunk * ChunkSize) + 1; seed <= (chunk + 1) * ChunkSize; seed++) await StoreSimulationRun.RunAsync(seed, Stepped);
        output.WriteLine($"seeds {(chunk * ChunkSize) + 1}..{(chunk + 1) * ChunkSize}: {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>10,000 seeds, two at a time; every failing seed is reported (up to 20), each with its replay command.</summary>
    [Fact]
    [Trait("Category", "Simulation")]
    public async Task Ten_thousand_seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("PRAVEGA_SIM_SEEDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 10_000;
        var failures = new ConcurrentQueue<string>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(1, count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, async (seed, _) =>
        {
            if (failures.Count >= 20) return;
            try
            {
                await StoreSimulationRun.RunAsync(seed, Stepped);
            }
            catch (SimulationViolationException e)
            {
                failures.Enqueue(e.Message);
            }
        });
        output.WriteLine($"{count} seeds: {watch.Elapsed.TotalSeconds:F0} s, {failures.Count} failed");
        Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
    }

    /// <summary>
    /// One seed is one interleaving: each seed, run twice, gives the same transcript (run log, every call's outcome, a
    /// digest of every file's durable and page-cache bytes). Fails if anything in the store or the run still depends on
    /// thread timing or the clock.
    /// </summary>
    [Fact]
    public async Task Seeds_replay_exactly()
    {
        for (int seed = 1; seed <= 40; seed++)
        {
            string first = await StoreSimulationRun.RunAsync(seed);
            string second = await StoreSimulationRun.RunAsync(seed);
            if (first == second) continue;
            var a = first.Split('\n');
            var b = second.Split('\n');
            int line = 0;
            while (line < a.Length && line < b.Length && a[line] == b[line]) line++;
            Assert.Fail($"seed {seed} ran differently the second time, from line {line}:\n  first:  {(line < a.Length ? a[line] : "(end)")}\n  second: {(line < b.Length ? b[line] : "(end)")}");
        }
    }

    private static bool Stepped => Environment.GetEnvironmentVariable("PRAVEGA_SIM_THREADS") != "1";

    private static int? ReplaySeed() =>
        int.TryParse(Environment.GetEnvironmentVariable("PRAVEGA_SIM_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) ? seed : null;
}
