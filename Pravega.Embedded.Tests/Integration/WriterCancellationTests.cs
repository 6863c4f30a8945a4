using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Integration;

public sealed class WriterCancellationTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Pins issue 6 item 10: a write queued behind backpressure that is cancelled is still appended in its place (as
    /// in Pravega, a write once called is not taken back; cancelling stops the caller's wait). Before the fix the
    /// cancelled write was dropped while the writer's later queued writes were appended: a gap in the writer's
    /// sequence, so resending the lost event answered Duplicate and it was never stored.
    /// </summary>
    [Fact]
    public async Task A_cancelled_queued_write_is_still_appended_before_later_ones()
    {
        // Each event is a little over 20 KiB with its headers: events 0-3 fit the 64 KiB pending bound, 4 is the first
        // to wait for room (with its token), 7 waits behind it (for 4, then for room).
        const int Count = 10;
        int[] cancelled = [4, 7];
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { WalMaxPendingBytes = 64 << 10 });
        await store.CreateStreamAsync("a", "s", segments: 1);
        await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
        string padding = new('x', 20 << 10); // a few events fill the pending bound; the rest queue for room
        var writes = new Task<WriteResult>[Count];
        bool cancelledAtOnce;
        using var cancel = new CancellationTokenSource();
        using (var gate = new DurabilityGate(store)) // nothing becomes durable: the bound stays full
        {
            for (int n = 0; n < Count; n++)
                writes[n] = writer.WriteEventAsync("k", $"{n}:{padding}", n, cancelled.Contains(n) ? cancel.Token : default);
            await cancel.CancelAsync();
            await Task.WhenAny(Task.WhenAll(cancelled.Select(n => writes[n])), Task.Delay(TimeSpan.FromSeconds(5)));
            cancelledAtOnce = cancelled.All(n => writes[n].IsCanceled);
            gate.Open();
            for (int n = 0; n < Count; n++)
                if (!cancelled.Contains(n)) Assert.Equal(WriteResult.Written, await writes[n]);
        }

        var numbers = (await store.ReadAllAsync("a", "s", int.MaxValue))
            .Select(e => int.Parse(e.Event!.AsSpan(0, e.Event!.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, Count), numbers); // no gap: the cancelled events are there, in order
        Assert.Equal(Count - 1, writer.LastEventNumber);
        foreach (int n in cancelled) // and a resend is truthful
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k", $"{n}:{padding}", n));
        Assert.True(cancelledAtOnce, "cancelling did not stop the caller's wait while the log had no room");
    }
}
