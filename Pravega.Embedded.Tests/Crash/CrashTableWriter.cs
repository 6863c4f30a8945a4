using System.Globalization;
using Pravega.Embedded.Client.Internal;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The child side of the key-value table and state synchronizer crash test: one loop writes batches with
/// <c>UpdateAllAsync</c> (batch n puts keys <c>n:0</c>..<c>n:4</c>, one per partition or so, plus the key <c>last</c> =
/// n under its current version), another increments a synchronizer's counter with conditional updates, until it is
/// killed. Output (one write per line, as <see cref="CrashWriter"/>): <c>START batch counter</c> (where it resumes),
/// <c>BATCH n version</c> after a batch returned (the version of <c>last</c>), <c>COUNT c</c> after an increment to c returned.
/// A third loop overwrites the keys <c>churn-0</c>..<c>churn-15</c> in turn (put n goes to <c>churn-(n % 16)</c>, value
/// <c>n|padding</c>) and prints <c>CHURN n</c>; with the small index budgets of <see cref="Options"/> the table's index
/// merges and compacts all the time.
/// </summary>
internal static class CrashTableWriter
{
    public const string Command = "crash-tables";
    public const int KeysPerBatch = 5;

    public const int ChurnKeys = 16;

    /// <summary>The store's options, in the child and the parent alike: index budgets small enough to merge and compact often.</summary>
    public static StreamStoreOptions Options(string root) => CrashWriter.Options(root, walFileSize: 256 << 10) with
    {
        TableIndex = new TableIndexOptions
        {
            DeltaBudgetBytes = 16 << 10,
            UncoveredBudgetBytes = 64 << 10,
            CompactionMinBytes = 64 << 10,
            CompactionWindowBytes = 32 << 10,
        },
    };

    public static string ChurnKey(long n) => "churn-" + (n % ChurnKeys).ToString(CultureInfo.InvariantCulture);

    public static long ChurnNumber(string value) => long.Parse(value.AsSpan(0, value.IndexOf('|', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    public static string Key(int batch, int i) => batch.ToString(CultureInfo.InvariantCulture) + ":" + i.ToString(CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(string root)
    {
        await using var store = await StreamStore.OpenAsync(Options(root));
        await store.Streams.CreateScopeAsync(CrashWriter.Scope);
        await store.KeyValueTables.CreateKeyValueTableAsync(CrashWriter.Scope, "table", new KeyValueTableConfiguration { PartitionCount = 3 });
        await using var table = await store.OpenKeyValueTableAsync(CrashWriter.Scope, "table", Serializers.Utf8, Serializers.Utf8);
        await using var counter = await store.CreateStateSynchronizerAsync(CrashWriter.Scope, "counter", Serializers.Json<long>(), Serializers.Json<long>(), (_, value) => value);
        await counter.InitializeAsync(0);
        await counter.FetchUpdatesAsync();
        var last = await table.GetAsync("last");
        int batch = last is null ? 0 : int.Parse(last.Value, CultureInfo.InvariantCulture) + 1;
        long churn = 0;
        for (int i = 0; i < ChurnKeys; i++)
            if (await table.GetAsync(ChurnKey(i)) is { } e) churn = Math.Max(churn, ChurnNumber(e.Value) + 1);
        CrashWriter.Print($"START {batch} {counter.State}");
        var tables = Task.Run(async () =>
        {
            for (var version = last?.Version ?? KeyVersion.NotExists; ; batch++)
            {
                var entries = Enumerable.Range(0, KeysPerBatch).Select(i => new TableEntry<string, string>(Key(batch, i), "v", KeyVersion.NotExists)).ToList();
                entries.Add(new TableEntry<string, string>("last", batch.ToString(CultureInfo.InvariantCulture), version));
                version = (await table.UpdateAllAsync(entries))[^1];
                CrashWriter.Print($"BATCH {batch} {version.Value}");
            }
        });
        var counting = Task.Run(async () =>
        {
            while (true)
            {
                await counter.UpdateStateAsync(c => [c + 1]);
                CrashWriter.Print($"COUNT {counter.State}");
            }
        });
        var churning = Task.Run(async () =>
        {
            for (; ; churn++)
            {
                await table.PutAsync(ChurnKey(churn), churn.ToString(CultureInfo.InvariantCulture) + "|" + new string('x', 200));
                CrashWriter.Print($"CHURN {churn}");
            }
        });
        await Task.WhenAll(tables, counting, churning);
        return 0;
    }
}
