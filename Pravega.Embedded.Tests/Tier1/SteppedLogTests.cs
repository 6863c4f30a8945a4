using Pravega.Embedded.Tests.Simulation;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>
/// The stepped log the deterministic simulation drives (<see cref="WalOptions.Stepped"/>): it commits only in
/// <see cref="WriteAheadLog.CommitNext"/>, on the caller's thread, with the mirrors written in order, and everything a
/// commit releases has run when the call returns.
/// </summary>
public sealed class SteppedLogTests
{
    private static readonly string[] Mirrors = ["/s/tier1-0", "/s/tier1-1", "/s/tier1-2"];

    private static WalOptions Options(SimulatedDevice device) =>
        new() { Directories = Mirrors, FileSize = 64 << 10, Device = device, Stepped = true };

    [Fact]
    public async Task Commits_only_when_stepped_and_completes_waiters_before_returning()
    {
        var device = new SimulatedDevice(new Random(1));
        var durable = new List<long>();
        await using var log = WriteAheadLog.Open(Options(device), (_, _, _) => { }, durable.Add);
        Assert.False(log.CommitNext()); // the generation marker is durable at open: nothing waits

        long first = WalHarness.Append(log, WalHarness.Payload(1, 100), out _);
        long second = WalHarness.Append(log, WalHarness.Payload(2, 100), out _);
        var waiting = log.WhenDurable(second).AsTask();
        bool continued = false;
        var next = waiting.ContinueWith(_ => continued = true, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted); // no thread of its own commits
        Assert.All(device.Files(), f => Assert.True(f.PendingChanges == 0));

        Assert.True(log.CommitNext());
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(continued); // inline: the continuation ran inside CommitNext
        Assert.Equal([second], durable);
        Assert.True(first < second && log.DurableLsn == second);
        Assert.False(log.CommitNext());
        await next;
    }

    [Fact]
    public async Task A_threaded_log_refuses_to_be_stepped()
    {
        var device = new SimulatedDevice(new Random(2));
        await using var log = WriteAheadLog.Open(Options(device) with { Stepped = false }, (_, _, _) => { }, _ => { });
        Assert.Throws<InvalidOperationException>(() => log.CommitNext());
    }

    /// <summary>
    /// Dropping files: oldest first, never the file being written, gone from every mirror, and a read of a dropped file
    /// says so (the segment reader reports such a read as truncated) instead of failing some other way.
    /// </summary>
    [Fact]
    public async Task Dropped_files_leave_every_mirror_and_their_reads_say_they_are_gone()
    {
        var device = new SimulatedDevice(new Random(4));
        await using var log = WriteAheadLog.Open(Options(device), (_, _, _) => { }, _ => { });
        var addresses = new List<LogAddress>();
        for (int i = 0; i < 60; i++)
        {
            WalHarness.Append(log, WalHarness.Payload(i, 3000), out var address);
            addresses.Add(address);
            while (log.CommitNext())
            {
            }
        }
        long writing = log.WriteFileSequence;
        Assert.True(writing >= 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => log.DropFilesBefore(writing + 1));
        Assert.Equal((int)(writing - 1), log.DropFilesBefore(writing));
        Assert.Equal([writing], log.FileSequences);
        foreach (string dir in Mirrors) // the file being written, and the next one if it was prepared ahead
        {
            var left = device.ListFiles(dir).Where(n => WalFormat.TryParseFileName(n, out _)).ToList();
            Assert.Equal(WalFormat.FileName(writing), left[0]);
            Assert.All(left, n => Assert.True(WalFormat.TryParseFileName(n, out long s) && s >= writing));
        }
        var gone = Assert.Throws<WalFileDroppedException>(() => log.Read(addresses[0], 100).Dispose());
        Assert.Equal(1, gone.Sequence);
        using var kept = log.Read(addresses[^1], 3000);
        Assert.Equal(WalHarness.Payload(59, 3000), kept.Memory.ToArray());
    }

    [Fact]
    public async Task Dispose_commits_what_is_left_and_a_reopen_finds_it()
    {
        var device = new SimulatedDevice(new Random(3));
        long lsn;
        await using (var log = WriteAheadLog.Open(Options(device), (_, _, _) => { }, _ => { }))
        {
            for (int i = 0; i < 40; i++) WalHarness.Append(log, WalHarness.Payload(i, 3000), out _); // crosses into the next file
            lsn = log.LastAppendedLsn;
        }
        var replayed = new List<long>();
        await using var reopened = WriteAheadLog.Open(Options(device), (l, _, _) => replayed.Add(l), _ => { });
        Assert.Equal(40, replayed.Count);
        Assert.Equal(lsn, replayed[^1]);
    }
}
