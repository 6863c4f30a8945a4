using System.Globalization;
using Pravega.Embedded.Tests.Transactions;
using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// Transactions under SIGKILL (<see cref="CrashTransactionWriter"/>), many rounds on one store: after each reopen every
/// transaction is wholly visible or wholly absent, contiguous in each segment; those whose commit returned are visible,
/// aborted ones never; one whose commit was under way is committed or still open, and committing it again (or again
/// after it committed) never doubles it; open ones are found by id and finished by the parent.
/// </summary>
public sealed class TransactionCrashTests
{
    private const int Rounds = 5;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(90);

    private enum Said { Begun, Committing, Committed, Aborting, Aborted }

    [Fact]
    public async Task Every_transaction_is_all_or_nothing_after_sigkill_and_committed_ones_are_visible_once()
    {
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = CrashRecoveryTests.NewRoot();
        var committed = new Dictionary<string, int>(); // every transaction known committed, and its event count
        var aborted = new HashSet<string>();
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                string context = $"seed {seed}, round {round}";
                var said = new Dictionary<string, (Said Said, int Count)>();
                foreach (var line in await RunAndKillAsync(root, random, context))
                {
                    var parts = line.Split(' ');
                    var what = Enum.Parse<Said>(parts[0], ignoreCase: true);
                    int count = parts.Length > 2 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : said.GetValueOrDefault(parts[1]).Count;
                    said[parts[1]] = (what, count);
                }
                Assert.True(said.Values.Any(v => v.Said == Said.Committed), $"{context}: the child committed nothing");

                await using var store = await Within(StreamStore.OpenAsync(CrashWriter.Options(root, walFileSize: 256 << 10)), "open", context);
                var visible = await Within(ReadVisibleAsync(store, context), "read", context);
                var writer = store.CreateTransactionalWriter(CrashWriter.Scope, CrashTransactionWriter.Stream, Serializers.Utf8);
                foreach (var (id, (what, count)) in said)
                {
                    int seen = visible.GetValueOrDefault(id);
                    var txn = await Within(writer.GetTransactionAsync(Guid.ParseExact(id, "N")), "get " + id, context);
                    var status = await txn.CheckStatusAsync();
                    switch (what)
                    {
                        case Said.Committed:
                            Assert.True(status == TransactionStatus.Committed && seen == count, $"{context}: committed {id} is {status} with {seen} of {count} events visible");
                            break;
                        case Said.Committing:
                            Assert.True((status == TransactionStatus.Committed && seen == count) || (status == TransactionStatus.Open && seen == 0),
                                $"{context}: {id}, killed while committing, is {status} with {seen} of {count} events visible");
                            break;
                        case Said.Aborted:
                            Assert.True(status == TransactionStatus.Aborted && seen == 0, $"{context}: aborted {id} is {status} with {seen} events visible");
                            break;
                        default:
                            Assert.True(status is TransactionStatus.Open or TransactionStatus.Aborted && seen == 0, $"{context}: {id} ({what}) is {status} with {seen} events visible");
                            break;
                    }
                    // The parent finishes what the child left: a commit under way is committed again (also when it got
                    // through: idempotent), the rest aborted.
                    if (what is Said.Committing or Said.Committed)
                    {
                        await Within(txn.CommitAsync(), "commit " + id, context);
                        committed[id] = count;
                    }
                    else if (status == TransactionStatus.Open)
                    {
                        await Within(txn.AbortAsync(), "abort " + id, context);
                        aborted.Add(id);
                    }
                    else aborted.Add(id);
                }
                visible = await Within(ReadVisibleAsync(store, context), "read again", context);
                foreach (var (id, count) in committed)
                    Assert.True(visible.GetValueOrDefault(id) == count, $"{context}: committed {id} has {visible.GetValueOrDefault(id)} of {count} events visible");
                Assert.DoesNotContain(aborted, visible.ContainsKey);
                Assert.Equal(committed.Count, visible.Count);
            }
        }
        finally
        {
            CrashRecoveryTests.DeleteRoot(root);
        }
    }

    /// <summary>The task's result, or a failure naming the step if it takes longer than the child's timeout (never a hang).</summary>
    private static async Task<T> Within<T>(Task<T> task, string what, string context)
    {
        await Within((Task)task, what, context);
        return await task;
    }

    private static async Task Within(Task task, string what, string context)
    {
        if (await Task.WhenAny(task, Task.Delay(ChildTimeout)) != task) Assert.Fail($"{context}: {what} did not complete in {ChildTimeout}");
        await task;
    }

    private static Task<Dictionary<string, int>> ReadVisibleAsync(StreamStore store, string context) =>
        VisibleTransactions.ReadAsync(store, CrashWriter.Scope, CrashTransactionWriter.Stream, e => e.StartsWith("plain:", StringComparison.Ordinal), context);

    /// <summary>Runs the child until some transactions committed, kills it at a random moment after, returns its protocol lines.</summary>
    private static async Task<List<string>> RunAndKillAsync(string root, Random random, string context)
    {
        var lines = await KilledChild.RunAsync(CrashTransactionWriter.Command, root, "COMMITTED ", 100, 1500, random, context);
        string[] protocol = ["BEGUN ", "COMMITTING ", "COMMITTED ", "ABORTING ", "ABORTED "];
        var unexpected = lines.Where(l => !l.StartsWith("SCALED ", StringComparison.Ordinal) && !protocol.Any(p => l.StartsWith(p, StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, $"{context}: the child printed {string.Join(" | ", unexpected.Take(5))}");
        return [.. lines.Where(l => protocol.Any(p => l.StartsWith(p, StringComparison.Ordinal)))];
    }
}
