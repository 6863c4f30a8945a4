using System.Globalization;
using Pravega.Embedded.Client.Internal;
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

    /// <summary>Index budgets small enough that the table's index merges and compacts every few hundred updates.</summary>
    private static StreamStoreOptions SmallIndexOptions(SimulatedProcess process) => Options(process) with
    {
        TableIndex = new TableIndexOptions
        {
            DeltaBudgetBytes = 4 << 10,
            UncoveredBudgetBytes = 32 << 10,
            CompactionMinBytes = 32 << 10,
            CompactionWindowBytes = 16 << 10,
        },
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
        await SimulatedFailure.RunUntilDeathAsync(device, store, async () =>
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
        });

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

    /// <summary>
    /// Overwrites and removals of a few keys while the index merges into files and compacts the partitions (copies,
    /// truncations, index files in Tier-2), with a power failure at a seeded device change: after the reopen each key
    /// holds its last returned update or the one under way, at a version never below the last returned.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Merges_and_compactions_lose_no_returned_update(int seed)
    {
        const int Keys = 12;
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 11));
        var process = new SimulatedProcess(device);
        var acked = new Dictionary<string, (string? Value, long Version)>();
        (string Key, string? Value)? underWay = null;
        var store = await StreamStore.OpenAsync(SmallIndexOptions(process));
        await SimulatedFailure.RunUntilDeathAsync(device, store, async () =>
        {
            await store.Streams.CreateScopeAsync("s");
            await store.KeyValueTables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration { PartitionCount = 2 });
            var table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
            SimulatedFailure.Arm(device, process, rng, 200, 6000);
            for (int n = 0; n < 20000; n++)
            {
                string key = "k" + rng.Next(Keys).ToString(CultureInfo.InvariantCulture);
                if (rng.Next(8) == 0)
                {
                    underWay = (key, null);
                    await table.RemoveAsync(key);
                    acked[key] = (null, acked.GetValueOrDefault(key).Version);
                }
                else
                {
                    string value = n.ToString(CultureInfo.InvariantCulture) + new string('x', rng.Next(50, 400));
                    underWay = (key, value);
                    acked[key] = (value, (await table.PutAsync(key, value)).Value);
                }
                underWay = null;
            }
        });

        await using var reopened = await StreamStore.OpenAsync(SmallIndexOptions(new SimulatedProcess(device)));
        await using var after = await reopened.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
        var listed = new Dictionary<string, TableEntry<string, string>>();
        await foreach (var entry in after.EntriesAsync()) Assert.True(listed.TryAdd(entry.Key, entry), $"seed {seed}: {entry.Key} listed twice");
        for (int k = 0; k < Keys; k++)
        {
            string key = "k" + k.ToString(CultureInfo.InvariantCulture);
            var got = await after.GetAsync(key);
            Assert.Equal(got, listed.GetValueOrDefault(key));
            var (value, version) = acked.GetValueOrDefault(key);
            bool matchesAcked = got?.Value == value;
            bool matchesUnderWay = underWay is { } u && u.Key == key && got?.Value == u.Value;
            Assert.True(matchesAcked || matchesUnderWay, $"seed {seed}: {key} holds '{got?.Value?[..Math.Min(8, got.Value.Length)]}', returned last '{value?[..Math.Min(8, value.Length)]}'");
            if (got is not null) Assert.True(got.Version.Value >= version, $"seed {seed}: {key} went back from version {version} to {got.Version.Value}");
        }
    }
}
