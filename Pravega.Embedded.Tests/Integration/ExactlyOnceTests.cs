using Xunit;

namespace Pravega.Embedded.Tests.Integration;

public sealed class ExactlyOnceTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Event_numbers_not_above_the_last_are_duplicates_and_write_nothing_also_after_reopen()
    {
        var options = new EventWriterOptions { WriterId = "w-1" };
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 4);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, options);
            await writer.FlushAsync();
            Assert.Equal(-1, writer.LastEventNumber);
            for (long n = 0; n < 10; n++) Assert.Equal(WriteResult.Written, await writer.WriteEventAsync($"k{n}", $"e{n}", n));
            Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k", "e20", 20)); // gaps are allowed
            Assert.Equal(20, writer.LastEventNumber);
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k", "again", 20));
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k", "again", 3));
        }

        await using (var store = await _dir.OpenAsync())
        {
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, options);
            await writer.FlushAsync();
            Assert.Equal(20, writer.LastEventNumber);
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k", "again", 15));
            Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k", "e21", 21));
            await using var other = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "w-2" });
            Assert.Equal(WriteResult.Written, await other.WriteEventAsync("k", "w2-e0", 0)); // numbers are per writer id

            var events = await store.ReadAllAsync("s", "t", int.MaxValue);
            Assert.Equal(13, events.Count);
            Assert.DoesNotContain(events, e => e.Event == "again");
        }
    }

    [Fact]
    public async Task Concurrent_writes_with_the_same_number_write_it_once()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => writer.WriteEventAsync("k", "once", 7)));

        Assert.Equal(1, results.Count(r => r == WriteResult.Written));
        Assert.Single(await store.ReadAllAsync("s", "t", int.MaxValue));
    }

    [Fact]
    public async Task A_negative_event_number_is_rejected()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.WriteEventAsync("k", "v", -1));
    }
}
