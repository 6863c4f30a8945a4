using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Metadata;

/// <summary>
/// Pins issue 6 item 9: what a caller observes of the controller's state is durable. With the WAL's durability held
/// back (<see cref="DurabilityGate"/>), a metadata change is accepted but not yet durable; no other call may report
/// it (a list, a stream's seal, a group's existence, a "false: already exists") before it is. Before the fix the
/// controller applied each record at once and every observer saw it at once, so a crash could take back what a
/// caller had been shown.
/// </summary>
public sealed class MetadataDurabilityTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(300);
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A task that has not completed within <see cref="Patience"/>, or the result it completed with.</summary>
    private static async Task<(bool Completed, T? Result)> Peek<T>(Task<T> task)
    {
        await Task.WhenAny(task, Task.Delay(Patience));
        return task.IsCompletedSuccessfully ? (true, task.Result) : (false, default);
    }

    private static async Task<List<string>> ListScopes(IStreamStore store) => await store.Streams.ListScopesAsync().ToListAsync();

    [Fact]
    public async Task A_scope_is_neither_listed_nor_reported_existing_before_its_creation_is_durable()
    {
        await using var store = await _dir.OpenAsync();
        using var gate = new DurabilityGate(store);

        var create = store.Streams.CreateScopeAsync("a");
        var listed = ListScopes(store);
        var again = store.Streams.CreateScopeAsync("a");
        var (listCompleted, scopes) = await Peek(listed);
        var (againCompleted, _) = await Peek(again);

        Assert.False(create.IsCompleted, "a mutation completed before its record was durable");
        Assert.False(listCompleted && scopes!.Contains("a"), "the scope was listed before its creation was durable");
        Assert.False(againCompleted, "a second CreateScopeAsync answered 'exists' before the first one's record was durable");

        gate.Open();
        Assert.True(await create);
        Assert.False(await again);
        Assert.Contains("a", await ListScopes(store));
    }

    [Fact]
    public async Task A_seal_is_not_reported_before_it_is_durable()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("a", "s", segments: 1);
        await using var writer = store.CreateEventWriter("a", "s", Serializers.Utf8);
        await writer.WriteEventAsync("k", "e0");
        using var gate = new DurabilityGate(store);

        var seal = store.Streams.SealStreamAsync("a", "s");
        var (infoCompleted, info) = await Peek(store.Streams.GetStreamInfoAsync("a", "s"));
        var sealAgain = store.Streams.SealStreamAsync("a", "s");
        var write = writer.WriteEventAsync("k", "e1");
        await Task.Delay(Patience);

        Assert.False(seal.IsCompleted);
        Assert.False(infoCompleted && info!.IsSealed, "the stream was reported sealed before the seal was durable");
        Assert.False(sealAgain.IsCompleted, "sealing again completed before the first seal was durable");
        Assert.False(write.IsCompleted, "a write was refused as sealed before the seal was durable");

        gate.Open();
        await seal;
        await sealAgain;
        await Assert.ThrowsAsync<StreamSealedException>(() => write);
        Assert.True((await store.Streams.GetStreamInfoAsync("a", "s")).IsSealed);
    }

    [Fact]
    public async Task A_stream_or_a_group_is_not_reported_before_its_creation_or_deletion_is_durable()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("a", "old", segments: 1);
        await store.Streams.SealStreamAsync("a", "old");
        using var gate = new DurabilityGate(store);

        var create = store.Streams.CreateStreamAsync("a", "new", new StreamConfiguration());
        var delete = store.Streams.DeleteStreamAsync("a", "old");
        var (listCompleted, streams) = await Peek(store.Streams.ListStreamsAsync("a").ToListAsync().AsTask());
        Assert.False(listCompleted && (streams!.Contains("new") || !streams.Contains("old")),
            "the stream list showed a change that was not durable");
        var (deleteAgainCompleted, _) = await Peek(store.Streams.DeleteStreamAsync("a", "old"));
        Assert.False(deleteAgainCompleted, "a second DeleteStreamAsync answered 'gone' before the deletion was durable");

        gate.Open();
        Assert.True(await create);
        Assert.True(await delete);
        using var groupGate = new DurabilityGate(store);
        var group = store.ReaderGroups.CreateReaderGroupAsync("a", "g", ReaderGroupConfig.ForStream("a", "new"));
        var (getCompleted, _) = await Peek(store.ReaderGroups.GetReaderGroupAsync("a", "g"));
        var (againCompleted, _) = await Peek(store.ReaderGroups.CreateReaderGroupAsync("a", "g", ReaderGroupConfig.ForStream("a", "new")));
        Assert.False(group.IsCompleted);
        Assert.False(getCompleted, "the group was found before its creation was durable");
        Assert.False(againCompleted, "a second CreateReaderGroupAsync answered 'exists' before the first one's record was durable");
        groupGate.Open();
        Assert.True(await group);
    }
}
