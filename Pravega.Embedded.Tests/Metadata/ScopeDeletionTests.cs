using Pravega.Embedded.Controller;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Metadata;

public sealed class ScopeDeletionTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Pins issue 6 item 5: a scope that still holds a reader group cannot be deleted (API.md: InvalidOperationException).
    /// Before the fix the deletion succeeded; the group's snapshot, written when the store closed, named the deleted
    /// scope, and applying it threw KeyNotFoundException at dispose and at every later open.
    /// </summary>
    [Fact]
    public async Task Deleting_a_scope_that_holds_a_reader_group_is_refused_and_the_store_reopens()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("data", "s", segments: 1);
            await store.Streams.CreateScopeAsync("groups"); // holds no stream: only the group
            await using (var writer = store.CreateEventWriter("data", "s", Serializers.Utf8))
                await writer.WriteEventAsync("k", "e0");
            await store.ReaderGroups.CreateReaderGroupAsync("groups", "g", ReaderGroupConfig.ForStream("data", "s"));
            await using var reader = store.CreateReader("r", "groups", "g", Serializers.Utf8);
            Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);

            await Assert.ThrowsAsync<InvalidOperationException>(() => store.Streams.DeleteScopeAsync("groups"));
        } // closing writes the group's snapshot

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Contains("groups", await store.Streams.ListScopesAsync().ToListAsync());
            await store.ReaderGroups.GetReaderGroupAsync("groups", "g");
            Assert.True(await store.ReaderGroups.DeleteReaderGroupAsync("groups", "g"));
            Assert.True(await store.Streams.DeleteScopeAsync("groups"));
        }

        await using (var store = await _dir.OpenAsync())
            Assert.DoesNotContain("groups", await store.Streams.ListScopesAsync().ToListAsync());
    }

    /// <summary>
    /// Pins issue 6 item 5: a reader-group snapshot record whose group (or scope) no longer exists is skipped, at once
    /// and on replay; a store written before the fix holds such records. Before the fix applying it threw
    /// KeyNotFoundException, at the append and at every open.
    /// </summary>
    [Fact]
    public async Task A_snapshot_of_a_group_that_is_gone_is_skipped_at_once_and_on_replay()
    {
        Exception? applying;
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("a", "s", segments: 1);
            await store.ReaderGroups.CreateReaderGroupAsync("a", "g", ReaderGroupConfig.ForStream("a", "s"));
            var snapshot = new ReaderGroupSnapshot(0, [], null);
            Assert.True(await store.ReaderGroups.DeleteReaderGroupAsync("a", "g"));
            var container = store.Runtime.Container;
            applying = Record.Exception(() =>
            {
                lock (container.Lock)
                {
                    foreach (string scope in new[] { "a", "gone" })
                    {
                        container.AppendMetadata(MetadataCodec.Encode((MetadataRecordType)16, w => // a group snapshot
                        {
                            w.Write(scope);
                            w.Write("g");
                            snapshot.Write(w);
                        }));
                    }
                }
            });
        }

        await using (var store = await _dir.OpenAsync())
        {
            await Assert.ThrowsAsync<ReaderGroupNotFoundException>(() => store.ReaderGroups.GetReaderGroupAsync("a", "g"));
            Assert.Equal(["a"], await store.Streams.ListScopesAsync().ToListAsync());
        }
        Assert.Null(applying);
    }
}
