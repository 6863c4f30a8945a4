using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
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
                var visible = await Within(VisibleAsync(store, context), "read", context);
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
                visible = await Within(VisibleAsync(store, context), "read again", context);
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

    private static async Task<T> Within<T>(Task<T> task, string what, string context)
    {
        try
        {
            return await task.WaitAsync(ChildTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{context}: {what} did not complete in {ChildTimeout}");
            throw;
        }
    }

    private static async Task Within(Task task, string what, string context) => await Within(task.ContinueWith(t => t, TaskScheduler.Default).Unwrap().ContinueWith(static t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), what, context);

    /// <summary>
    /// Visible events per transaction, through the batch client: checks that each transaction's events are one run in
    /// every segment, in write order there, each once, and none of a transaction is visible without all of it.
    /// </summary>
    private static async Task<Dictionary<string, int>> VisibleAsync(StreamStore store, string context)
    {
        var perTransaction = new Dictionary<string, HashSet<int>>();
        var counts = new Dictionary<string, int>();
        await foreach (var range in store.Batch.ListSegmentsAsync(CrashWriter.Scope, CrashTransactionWriter.Stream))
        {
            string? current = null;
            int last = -1;
            var finished = new HashSet<string>();
            await foreach (var e in store.Batch.ReadSegmentAsync(range, Serializers.Utf8))
            {
                if (e.StartsWith("plain:", StringComparison.Ordinal))
                {
                    if (current is not null) finished.Add(current);
                    current = null;
                    continue;
                }
                var parts = e.Split(':');
                string id = parts[0];
                int index = int.Parse(parts[1], CultureInfo.InvariantCulture);
                counts[id] = int.Parse(parts[2], CultureInfo.InvariantCulture);
                if (id != current)
                {
                    if (current is not null) finished.Add(current);
                    Assert.False(finished.Contains(id), $"{context}: transaction {id} is not contiguous in segment {range.SegmentId}");
                    (current, last) = (id, -1);
                }
                Assert.True(index > last, $"{context}: transaction {id}'s events are out of write order in segment {range.SegmentId}");
                last = index;
                if (!perTransaction.TryGetValue(id, out var seen)) perTransaction.Add(id, seen = []);
                Assert.True(seen.Add(index), $"{context}: event {index} of transaction {id} is visible twice");
            }
        }
        foreach (var (id, seen) in perTransaction)
            Assert.True(seen.Count == counts[id], $"{context}: transaction {id} is partly visible: {seen.Count} of {counts[id]} events");
        return perTransaction.ToDictionary(p => p.Key, p => p.Value.Count);
    }

    /// <summary>Runs the child until some transactions committed, kills it at a random moment after, returns its lines.</summary>
    private static async Task<List<string>> RunAndKillAsync(string root, Random random, string context)
    {
        var info = new ProcessStartInfo(CrashChild.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(CrashTransactionWriter).Assembly.Location);
        info.ArgumentList.Add(CrashTransactionWriter.Command);
        info.ArgumentList.Add(root);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the child.");
        var lines = new ConcurrentQueue<string>();
        var firstCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lines.Enqueue(e.Data);
            if (e.Data.StartsWith("COMMITTED ", StringComparison.Ordinal)) firstCommit.TrySetResult();
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(firstCommit.Task, exited, Task.Delay(ChildTimeout)) != firstCommit.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            Assert.Fail($"{context}: the child committed nothing; stderr: {await stderr}");
        }
        await Task.Delay(random.Next(100, 1500));
        if (process.HasExited) Assert.Fail($"{context}: the child exited before it was killed; stderr: {await stderr}");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        if (OperatingSystem.IsLinux()) Assert.Equal(CrashChild.SigkillExitCode, process.ExitCode);
        // Each line is one write of less than PIPE_BUF: never torn; lines still in the pipe were printed before the kill.
        string[] protocol = ["BEGUN ", "COMMITTING ", "COMMITTED ", "ABORTING ", "ABORTED "];
        var unexpected = lines.Where(l => l.Length > 0 && !l.StartsWith("SCALED ", StringComparison.Ordinal) && !protocol.Any(p => l.StartsWith(p, StringComparison.Ordinal))).ToList();
        if (unexpected.Count > 0) Assert.Fail($"{context}: the child printed {string.Join(" | ", unexpected.Take(5))}; stderr: {await stderr}");
        return [.. lines.Where(l => protocol.Any(p => l.StartsWith(p, StringComparison.Ordinal)))];
    }
}
