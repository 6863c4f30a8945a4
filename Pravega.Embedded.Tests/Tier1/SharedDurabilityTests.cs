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
}
