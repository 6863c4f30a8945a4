using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

public sealed class SharedDurabilityTests
{
    [Fact]
    public async Task Appends_of_one_group_commit_share_one_task_that_completes_when_they_are_durable()
    {
        using var h = new WalHarness();
        long durableSeen = 0;
        var log = h.Open(onDurable: lsn => Volatile.Write(ref durableSeen, lsn));
        try
        {
            long first = WalHarness.Append(log, new byte[100], out _);
            long second = WalHarness.Append(log, new byte[100], out _);
            var a = log.WhenDurableShared(first, out long batchA);
            var b = log.WhenDurableShared(second, out long batchB);

            await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(batchA == batchB ? ReferenceEquals(a, b) : !ReferenceEquals(a, b));
            Assert.True(Volatile.Read(ref durableSeen) >= second, "the container heard of durability before the acknowledgement");
            Assert.True(log.DurableLsn >= second);
            Assert.Same(Task.CompletedTask, log.WhenDurableShared(first, out _));
        }
        finally
        {
            await log.DisposeAsync();
        }
    }

    /// <summary>Regression: the durable LSN used to move before the container had made the batch visible.</summary>
    [Fact]
    public async Task Nothing_looks_durable_until_the_container_has_applied_the_commit()
    {
        using var h = new WalHarness();
        using var inside = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        long blockAt = long.MaxValue;
        var log = h.Open(onDurable: lsn =>
        {
            if (lsn < Volatile.Read(ref blockAt)) return;
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        try
        {
            Volatile.Write(ref blockAt, log.LastAppendedLsn + 1); // before the append: the flusher may commit it at once
            long lsn = WalHarness.Append(log, new byte[100], out _);
            Assert.Equal(blockAt, lsn);
            var waiter = log.WhenDurable(lsn).AsTask();
            var shared = log.WhenDurableShared(lsn, out _);
            Assert.True(inside.Wait(TimeSpan.FromSeconds(10)), "the flusher reached the container callback");

            Assert.True(log.DurableLsn < lsn, "the durable LSN moved before the commit was applied");
            Assert.False(waiter.IsCompleted);
            Assert.False(shared.IsCompleted);

            release.Set();
            await Task.WhenAll(waiter, shared).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(lsn, log.DurableLsn);
        }
        finally
        {
            release.Set();
            await log.DisposeAsync();
        }
    }
}
