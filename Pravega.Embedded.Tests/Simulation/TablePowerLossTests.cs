using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Key-value tables and the state synchronizer against a power failure or crash at a seeded device change (the simulated
/// device drops or tears what was not synced), with small WAL files and Tier-2: after the reopen every batch that returned
/// is wholly there and none in part, the key <c>last</c> names the newest batch there at a version at or after the last
/// returned, and the counter holds every increment that returned, once (at most one more: the one under way).
/// </summary>
public sealed class TablePowerLossTests
{
    private const int KeysPerBatch = 4;
    private static readonly string[] Mirrors = ["/kv/tier1-0", "/kv/tier1-1", "/kv/tier1-2"];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 16)];

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = "/kv/tier2",
        Tier1MaxBytes = 4 * (64 << 10),
        Tier2ChunkSize = 128 << 10,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 64 << 10,
        Device = process,
    };

    private static string Key(int batch, int i) => batch.ToString(CultureInfo.InvariantCulture) + ":" + i.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Returned_updates_survive_once_and_no_batch_is_there_in_part(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 7));
        var process = new SimulatedProcess(device);
        int lastBatch = -1;
        long lastVersion = 0, lastCount = 0;
        var store = await StreamStore.OpenAsync(Options(process));
        try
        {
            await store.Streams.CreateScopeAsync("s");
            await store.KeyValueTables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration { PartitionCount = 3 });
            var table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
            var counter = await store.CreateStateSynchronizerAsync("s", "c", Serializers.Json<long>(), Serializers.Json<long>(), (_, v) => v);
            await counter.InitializeAsync(0);
            SimulatedFailure.Arm(device, process, rng, 50, 3000);
            var version = KeyVersion.NotExists;
            for (int batch = 0; batch < 2000; batch++)
            {
                var entries = Enumerable.Range(0, KeysPerBatch).Select(i => new TableEntry<string, string>(Key(batch, i), new string('v', rng.Next(1, 3000)), KeyVersion.NotExists)).ToList();
                entries.Add(new TableEntry<string, string>("last", batch.ToString(CultureInfo.InvariantCulture), version));
                version = (await table.UpdateAllAsync(entries))[^1];
                (lastBatch, lastVersion) = (batch, version.Value);
                if (rng.Next(3) == 0)
                {
                    await counter.UpdateStateAsync(c => [c + 1]);
                    lastCount = counter.State;
                }
                if (rng.Next(40) == 0) await counter.CompactAsync();
            }
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException || e is ObjectDisposedException)
        {
            // the process died
        }
        finally
        {
            device.Mutated = null;
            try
            {
                await store.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }

        await using var reopened = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        await using var after = await reopened.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
        var last = await after.GetAsync("last");
        int newest = last is null ? -1 : int.Parse(last.Value, CultureInfo.InvariantCulture);
        Assert.True(newest >= lastBatch && newest <= lastBatch + 1, $"seed {seed}: batch {lastBatch} returned, the newest there is {newest}");
        if (lastBatch >= 0) Assert.True(last!.Version.Value >= lastVersion, $"seed {seed}: 'last' went back from {lastVersion} to {last.Version.Value}");
        var present = new Dictionary<int, int>();
        await foreach (var entry in after.EntriesAsync())
        {
            if (entry.Key == "last") continue;
            int b = int.Parse(entry.Key.Split(':')[0], CultureInfo.InvariantCulture);
            present[b] = present.GetValueOrDefault(b) + 1;
        }
        for (int b = 0; b <= newest; b++) Assert.True(present.GetValueOrDefault(b) == KeysPerBatch, $"seed {seed}: batch {b} has {present.GetValueOrDefault(b)} keys");
        Assert.True(present.Keys.All(b => b <= newest), $"seed {seed}: a batch after {newest} is there");
        await using var counterAfter = await reopened.CreateStateSynchronizerAsync("s", "c", Serializers.Json<long>(), Serializers.Json<long>(), (_, v) => v);
        await counterAfter.FetchUpdatesAsync();
        Assert.True(counterAfter.Revision < 0 ? lastCount == 0 : counterAfter.State >= lastCount && counterAfter.State <= lastCount + 1,
            $"seed {seed}: the counter is {counterAfter.State}, the last increment that returned made it {lastCount}");
    }
}
