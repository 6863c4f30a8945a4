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
/// that seed, and the other chunks nothing).
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
            await StoreSimulationRun.RunAsync(replay);
            return;
        }
        var watch = Stopwatch.StartNew();
        for (int seed = (chunk * ChunkSize) + 1; seed <= (chunk + 1) * ChunkSize; seed++) await StoreSimulationRun.RunAsync(seed);
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
                await StoreSimulationRun.RunAsync(seed);
            }
            catch (SimulationViolationException e)
            {
                failures.Enqueue(e.Message);
            }
        });
        output.WriteLine($"{count} seeds: {watch.Elapsed.TotalSeconds:F0} s, {failures.Count} failed");
        Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
    }

    private static int? ReplaySeed() =>
        int.TryParse(Environment.GetEnvironmentVariable("PRAVEGA_SIM_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) ? seed : null;
}
