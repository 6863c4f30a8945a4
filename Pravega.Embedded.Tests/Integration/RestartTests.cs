using Xunit;

namespace Pravega.Embedded.Tests.Integration;

public sealed class RestartTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reopening_restores_scopes_streams_seals_groups_and_every_acknowledged_event()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("a", "live", segments: 4);
            await store.CreateStreamAsync("b", "done", segments: 2);
            await store.Streams.CreateScopeAsync("empty");
            await using (var writer = store.CreateEventWriter("a", "live", Serializers.Utf8))
                for (int i = 0; i < 500; i++) await writer.WriteEventAsync($"k{i % 7}", $"live-{i}");
            await using (var writer = store.CreateEventWriter("b", "done", Serializers.Utf8))
                for (int i = 0; i < 20; i++) await writer.WriteEventAsync("k", $"done-{i}");
            await store.Streams.SealStreamAsync("b", "done");
            await store.ReaderGroups.CreateReaderGroupAsync("a", "kept", ReaderGroupConfig.ForStream("a", "live"));
        }

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(["a", "b", "empty"], await store.Streams.ListScopesAsync().ToListAsync());
            Assert.Equal(["live"], await store.Streams.ListStreamsAsync("a").ToListAsync());
            Assert.True((await store.Streams.GetStreamInfoAsync("b", "done")).IsSealed);
            Assert.False((await store.Streams.GetStreamInfoAsync("a", "live")).IsSealed);
            Assert.Equal(4, (await store.Streams.GetActiveSegmentsAsync("a", "live")).Count);
            Assert.False(await store.ReaderGroups.CreateReaderGroupAsync("a", "kept", ReaderGroupConfig.ForStream("a", "live")));

            var live = await store.ReadAllAsync("a", "live", 500);
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"live-{i}").Order(), live.Select(e => e.Event!).Order());
            await using var reader = store.CreateReader("r", "a", "kept", Serializers.Utf8);
            Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(10))).HasEvent);

            var done = await store.ReadAllAsync("b", "done", 20);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"done-{i}"), done.Select(e => e.Event!));
            await Assert.ThrowsAsync<StreamSealedException>(() =>
                store.CreateEventWriter("b", "done", Serializers.Utf8).WriteEventAsync("k", "late"));

            await using var writer = store.CreateEventWriter("a", "live", Serializers.Utf8);
            await writer.WriteEventAsync("k0", "after-reopen");
        }

        await using (var store = await _dir.OpenAsync())
        {
            var live = await store.ReadAllAsync("a", "live", 501);
            Assert.Equal(501, live.Count);
            Assert.Equal("after-reopen", live.Last(e => e.EventPointer!.Segment.SegmentId == live.First(x => x.Event == "after-reopen").EventPointer!.Segment.SegmentId).Event);
        }
    }

    [Fact]
    public async Task Deleted_streams_and_scopes_stay_deleted_after_reopen()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("a", "gone", segments: 1);
            await using (var writer = store.CreateEventWriter("a", "gone", Serializers.Utf8)) await writer.WriteEventAsync("k", "x");
            await store.Streams.SealStreamAsync("a", "gone");
            Assert.True(await store.Streams.DeleteStreamAsync("a", "gone"));
            Assert.True(await store.Streams.DeleteScopeAsync("a"));
            await store.CreateStreamAsync("a", "gone", segments: 2); // same names, new stream
        }

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(2, (await store.Streams.GetActiveSegmentsAsync("a", "gone")).Count);
            Assert.Equal(0L, await store.TailLengthAsync("a", "gone"));
        }
    }

    [Fact]
    public async Task A_second_open_of_the_same_directories_is_refused_until_the_first_is_disposed()
    {
        var first = await _dir.OpenAsync();
        await Assert.ThrowsAsync<DataDirectoryLockedException>(() => _dir.OpenAsync());
        await first.DisposeAsync();
        await using var second = await _dir.OpenAsync();
        Assert.NotNull(second.Streams);
    }

    [Fact]
    public async Task A_deleted_mirror_directory_is_rebuilt_on_open_with_all_data()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("a", "s", segments: 2);
            await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8);
            for (int i = 0; i < 300; i++) await writer.WriteEventAsync($"k{i}", new string('x', 100) + i);
        }
        Directory.Delete(Path.Combine(_dir.Root, "tier1-1"), recursive: true);

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(300, (await store.ReadAllAsync("a", "s", 300)).Count);
        }
        AssertMirrorsIdentical();
    }

    [Fact]
    public async Task Corrupted_bytes_in_the_middle_of_one_mirror_are_repaired_on_open()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("a", "s", segments: 2);
            await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8);
            for (int i = 0; i < 300; i++) await writer.WriteEventAsync($"k{i}", new string('y', 200) + i);
        }
        string file = Directory.GetFiles(Path.Combine(_dir.Root, "tier1-2"), "wal-*.log").Order().First();
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 20_000;
            stream.Write(Enumerable.Repeat((byte)0xA5, 512).ToArray());
        }

        await using (var store = await _dir.OpenAsync())
        {
            var events = await store.ReadAllAsync("a", "s", 300);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => new string('y', 200) + i).Order(), events.Select(e => e.Event!).Order());
        }
        AssertMirrorsIdentical();
    }

    private void AssertMirrorsIdentical()
    {
        var names = Directory.GetFiles(Path.Combine(_dir.Root, "tier1-0"), "wal-*.log").Select(f => Path.GetFileName(f)).Order().ToList();
        Assert.NotEmpty(names);
        foreach (string mirror in new[] { "tier1-1", "tier1-2" })
        {
            Assert.Equal(names, Directory.GetFiles(Path.Combine(_dir.Root, mirror), "wal-*.log").Select(f => Path.GetFileName(f)).Order());
            foreach (string name in names)
                Assert.True(File.ReadAllBytes(Path.Combine(_dir.Root, "tier1-0", name)).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(Path.Combine(_dir.Root, mirror, name))), $"{mirror}/{name} differs from tier1-0");
        }
    }
}
