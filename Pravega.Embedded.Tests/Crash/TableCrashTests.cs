using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// Key-value tables and the state synchronizer under SIGKILL (<see cref="CrashTableWriter"/>), many rounds on one store:
/// after each reopen every batch that returned is wholly there, no batch is there in part, the key <c>last</c> names the
/// newest batch there with a version at or after the last one returned (versions never go back), and the counter counts
/// every increment that returned, once: at most one more (the one under way).
/// </summary>
public sealed class TableCrashTests
{
    private const int Rounds = 5;

    [Fact]
    public async Task After_sigkill_every_returned_update_is_there_once_and_no_batch_is_there_in_part()
    {
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = CrashRecoveryTests.NewRoot();
        try
        {
            long lastChurn = -1; // across rounds: a child goes on after the newest churn put there
            for (int round = 0; round < Rounds; round++)
            {
                string context = $"seed {seed}, round {round}";
                var lines = await KilledChild.RunAsync(CrashTableWriter.Command, root, "COUNT ", 100, 1200, random, context);
                int lastBatch = -1;
                long lastVersion = 0, lastCount = -1;
                foreach (var line in lines)
                {
                    var parts = line.Split(' ');
                    switch (parts[0])
                    {
                        case "START":
                            break;
                        case "BATCH":
                            lastBatch = int.Parse(parts[1], CultureInfo.InvariantCulture);
                            lastVersion = long.Parse(parts[2], CultureInfo.InvariantCulture);
                            break;
                        case "CHURN":
                            lastChurn = long.Parse(parts[1], CultureInfo.InvariantCulture);
                            break;
                        case "COUNT":
                            lastCount = long.Parse(parts[1], CultureInfo.InvariantCulture);
                            break;
                        default:
                            Assert.Fail($"{context}: the child printed '{line}'");
                            break;
                    }
                }

                await using var store = await StreamStore.OpenAsync(CrashTableWriter.Options(root));
                await using var table = await store.OpenKeyValueTableAsync(CrashWriter.Scope, "table", Serializers.Utf8, Serializers.Utf8);
                var last = await table.GetAsync("last");
                int newest = last is null ? -1 : int.Parse(last.Value, CultureInfo.InvariantCulture);
                Assert.True(newest >= lastBatch, $"{context}: batch {lastBatch} returned, the table's newest is {newest}");
                Assert.True(newest <= lastBatch + 1, $"{context}: the table's newest batch {newest} is beyond the one under way");
                if (lastBatch >= 0) Assert.True(last!.Version.Value >= lastVersion, $"{context}: 'last' went back from version {lastVersion} to {last.Version.Value}");
                var present = new Dictionary<int, int>();
                await foreach (var entry in table.EntriesAsync())
                {
                    if (entry.Key == "last" || entry.Key.StartsWith("churn-", StringComparison.Ordinal)) continue;
                    int batch = int.Parse(entry.Key.Split(':')[0], CultureInfo.InvariantCulture);
                    present[batch] = present.GetValueOrDefault(batch) + 1;
                }
                for (int b = 0; b <= newest; b++)
                    Assert.True(present.GetValueOrDefault(b) == CrashTableWriter.KeysPerBatch, $"{context}: batch {b} has {present.GetValueOrDefault(b)} of {CrashTableWriter.KeysPerBatch} keys");
                Assert.True(present.Keys.All(b => b <= newest), $"{context}: a batch after {newest} is there in part or whole without 'last'");

                // Every churn put that returned is there (or a later one of the key); none beyond the one under way.
                for (long n = Math.Max(0, lastChurn - CrashTableWriter.ChurnKeys + 1); n <= lastChurn; n++)
                {
                    var churn = await table.GetAsync(CrashTableWriter.ChurnKey(n));
                    Assert.True(churn is not null, $"{context}: churn put {n} returned, its key is absent");
                    long there = CrashTableWriter.ChurnNumber(churn.Value);
                    Assert.True(there >= n && there <= lastChurn + 1, $"{context}: churn put {n} returned, its key holds put {there} (last returned {lastChurn})");
                }

                await using var counter = await store.CreateStateSynchronizerAsync(CrashWriter.Scope, "counter", Serializers.Json<long>(), Serializers.Json<long>(), (_, value) => value);
                await counter.FetchUpdatesAsync();
                Assert.True(counter.State >= lastCount && counter.State <= lastCount + 1, $"{context}: the counter is {counter.State}, the last increment that returned made it {lastCount}");
            }
        }
        finally
        {
            CrashRecoveryTests.DeleteRoot(root);
        }
    }
}
