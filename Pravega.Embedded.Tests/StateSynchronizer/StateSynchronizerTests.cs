using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.StateSynchronizer;

/// <summary>
/// The state synchronizer through the public API: one initialization wins, concurrent conditional updates are each
/// applied exactly once (generators run again on conflict), unconditional updates show at the next fetch, compaction
/// lets late joiners start from a snapshot, the state survives a reopen, states of MiBs, and what is refused.
/// </summary>
public sealed class StateSynchronizerTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ISerializer<long> Longs = Serializers.Json<long>();
    private static readonly ISerializer<string> Text = Serializers.Utf8;

    private static Task<IStateSynchronizer<long, long>> CounterAsync(StreamStore store, string name = "counter") =>
        store.CreateStateSynchronizerAsync("s", name, Longs, Longs, (state, add) => state + add);

    private async Task<StreamStore> OpenAsync(int walFileSize = 4 << 20)
    {
        var store = await StreamStore.OpenAsync(_dir.Options(walFileSize));
        await store.Streams.CreateScopeAsync("s");
        return store;
    }

    [Fact]
    public async Task One_initialization_wins_and_the_others_see_its_state()
    {
        await using var store = await OpenAsync();
        await using var a = await CounterAsync(store);
        await using var b = await CounterAsync(store);
        Assert.Equal(-1, a.Revision);
        Assert.Equal(0, a.State);
        Assert.True(await a.InitializeAsync(10));
        Assert.Equal(10, a.State);
        Assert.True(a.Revision >= 0);
        Assert.False(await b.InitializeAsync(99));
        Assert.Equal(10, b.State);
        Assert.Equal(a.Revision, b.Revision);
        Assert.False(await a.InitializeAsync(5)); // initialized already
    }

    [Fact]
    public async Task Eight_members_incrementing_a_hundred_times_each_count_eight_hundred_also_after_compaction_and_a_reopen()
    {
        // Each update sets the value its generator computed from the state it saw: only conditional appends (a conflict
        // runs the generator again on the newer state) make 800 increments count 800.
        var set = (long _, long value) => value;
        int generated = 0;
        await using (var store = await OpenAsync())
        {
            var members = new List<IStateSynchronizer<long, long>>();
            for (int i = 0; i < 8; i++) members.Add(await store.CreateStateSynchronizerAsync("s", "counter", Longs, Longs, set));
            Assert.True(await members[0].InitializeAsync(0));
            await Task.WhenAll(members.Select((m, n) => Task.Run(async () =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await m.UpdateStateAsync(state =>
                    {
                        Interlocked.Increment(ref generated);
                        return [state + 1];
                    });
                    if (n == 0 && i == 50) await m.CompactAsync(); // while the others go on
                }
            })));
            foreach (var m in members)
            {
                await m.FetchUpdatesAsync();
                Assert.Equal(800, m.State);
                Assert.Equal(members[0].Revision, m.Revision);
            }
            Assert.True(generated >= 800);
            await members[3].CompactAsync();
            foreach (var m in members) await m.DisposeAsync();
        }
        await using (var store = await StreamStore.OpenAsync(_dir.Options()))
        {
            await using var late = await store.CreateStateSynchronizerAsync("s", "counter", Longs, Longs, set);
            await late.FetchUpdatesAsync();
            Assert.Equal(800, late.State);
        }
    }

    [Fact]
    public async Task An_update_sees_the_latest_state_and_an_empty_list_writes_nothing()
    {
        await using var store = await OpenAsync();
        await using var a = await CounterAsync(store);
        await using var b = await CounterAsync(store);
        await a.InitializeAsync(1);
        await b.UpdateStateAsync(s => [s]); // doubles: 2
        await a.UpdateStateAsync(s => [s]); // fetches first, so it doubles 2: 4
        Assert.Equal(4, a.State);
        long revision = a.Revision;
        await a.UpdateStateAsync(_ => []);
        Assert.Equal(revision, a.Revision);
        await b.FetchUpdatesAsync();
        Assert.Equal(4, b.State);
    }

    [Fact]
    public async Task An_unconditional_update_shows_at_the_next_fetch()
    {
        await using var store = await OpenAsync();
        await using var a = await CounterAsync(store);
        await a.InitializeAsync(0);
        await a.UpdateStateUnconditionallyAsync(7);
        Assert.Equal(0, a.State); // as in Pravega: the local state sees it at the next fetch
        await a.FetchUpdatesAsync();
        Assert.Equal(7, a.State);
    }

    [Fact]
    public async Task Compaction_lets_a_late_joiner_start_from_the_snapshot_and_the_state_survives_a_reopen()
    {
        long revision;
        await using (var store = await OpenAsync())
        {
            await using var a = await CounterAsync(store);
            await using var old = await CounterAsync(store);
            await a.InitializeAsync(0);
            for (int i = 1; i <= 100; i++) await a.UpdateStateAsync(_ => [i]);
            await old.FetchUpdatesAsync(); // at 100 updates' end
            await a.CompactAsync();
            var segment = store.Runtime.Controller.GetStream("s", "_sync-counter").AllSegments.Single().Data;
            Assert.True(segment.StartOffset > 0, "compaction truncated the updates before its snapshot");
            await a.UpdateStateAsync(_ => [1]);

            await using var late = await CounterAsync(store);
            await late.FetchUpdatesAsync();
            Assert.Equal(5051, late.State);
            await old.FetchUpdatesAsync();
            Assert.Equal(5051, old.State);
            revision = a.Revision;
            Assert.Equal(revision, late.Revision);
        }
        await using (var store = await StreamStore.OpenAsync(_dir.Options()))
        {
            await using var again = await CounterAsync(store);
            await again.FetchUpdatesAsync();
            Assert.Equal(5051, again.State);
            Assert.Equal(revision, again.Revision);
            Assert.False(await again.InitializeAsync(0));
            await again.UpdateStateAsync(s => [-s]);
            Assert.Equal(0, again.State);
        }
    }

    [Fact]
    public async Task States_of_several_MiB_are_replicated_and_compacted()
    {
        await using var store = await OpenAsync(walFileSize: 32 << 20); // the default size: records of up to the 8 MiB event limit
        var apply = (string state, string add) => state + add;
        await using var a = await store.CreateStateSynchronizerAsync("s", "big", Text, Text, apply);
        await using var b = await store.CreateStateSynchronizerAsync("s", "big", Text, Text, apply);
        string mib = new('x', 1 << 20);
        await a.InitializeAsync(mib);
        for (int i = 0; i < 6; i++) await a.UpdateStateAsync(_ => [mib]);
        await a.CompactAsync(); // a 7 MiB snapshot
        await b.FetchUpdatesAsync();
        Assert.Equal(7 << 20, b.State!.Length);
        await Assert.ThrowsAsync<ArgumentException>(() => a.UpdateStateAsync(_ => [new string('y', 9 << 20)])); // beyond the 8 MiB event limit
        Assert.Equal(7 << 20, a.State!.Length); // nothing changed
    }

    [Fact]
    public async Task A_state_larger_than_a_record_is_initialized_and_compacted_in_parts_that_appear_together()
    {
        var apply = (string state, string add) => state + add;
        string big = string.Concat(Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 1 << 20))); // 20 MiB
        var hooked = new HookedSerializer();
        await using (var store = await OpenAsync()) // 4 MiB WAL files: records of under 4 MiB
        {
            await using var a = await store.CreateStateSynchronizerAsync("s", "huge", hooked, Text, apply);
            await using var b = await store.CreateStateSynchronizerAsync("s", "huge", Text, Text, apply);
            Assert.True(await a.InitializeAsync(big));
            Assert.False(await b.InitializeAsync("small"));
            Assert.Equal(big, b.State);
            await b.UpdateStateAsync(_ => ["!"]);
            // An update gets in while a compaction serializes its snapshot (after its fetch): the parts' commit is
            // conditional, so the snapshot is written again from the newer state, never truncating the update away.
            hooked.OnSerialize = () => b.UpdateStateAsync(_ => ["?"]).GetAwaiter().GetResult();
            await a.CompactAsync();
            Assert.Null(hooked.OnSerialize);
            await Task.WhenAll(Task.Run(() => a.CompactAsync()), Task.Run(() => b.CompactAsync()));
            await using var late = await store.CreateStateSynchronizerAsync("s", "huge", Text, Text, apply);
            await late.FetchUpdatesAsync();
            Assert.Equal(big + "!?", late.State);
            var segment = store.Runtime.Controller.GetStream("s", "_sync-huge").AllSegments.Single().Data;
            Assert.True(segment.StartOffset > big.Length, "the older state and its update were truncated");
        }
        await using (var store = await StreamStore.OpenAsync(_dir.Options()))
        {
            await using var again = await store.CreateStateSynchronizerAsync("s", "huge", Text, Text, apply);
            await again.FetchUpdatesAsync();
            Assert.Equal(big + "!?", again.State);
        }
    }

    [Fact]
    public async Task The_backing_stream_is_hidden_and_goes_with_its_scope()
    {
        var store = await OpenAsync();
        await using (store)
        {
            await using var a = await CounterAsync(store);
            await a.InitializeAsync(1);
            Assert.Empty(await store.Streams.ListStreamsAsync("s").ToListAsync());
            Assert.True(await store.Streams.DeleteScopeAsync("s"));
            await Assert.ThrowsAsync<InvalidOperationException>(() => a.UpdateStateAsync(_ => [1]));
            await Assert.ThrowsAsync<ScopeNotFoundException>(() => CounterAsync(store));
        }
    }

    [Fact]
    public async Task What_is_wrong_is_refused_clearly()
    {
        await using var store = await OpenAsync();
        var bad = Assert.Throws<ArgumentException>(() => { _ = store.CreateStateSynchronizerAsync("s", "bad_name", Longs, Longs, (s, u) => s + u); });
        Assert.Equal("name", bad.ParamName);
        Assert.Throws<ArgumentNullException>(() => { _ = store.CreateStateSynchronizerAsync<long, long>("s", "x", null!, Longs, (s, u) => s + u); });
        Assert.Throws<ArgumentNullException>(() => { _ = store.CreateStateSynchronizerAsync("s", "x", Longs, Longs, null!); });
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => store.CreateStateSynchronizerAsync("nope", "x", Longs, Longs, (s, u) => s + u));
        var sync = await CounterAsync(store);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sync.UpdateStateAsync(_ => [1])); // not initialized
        await Assert.ThrowsAsync<InvalidOperationException>(() => sync.CompactAsync());
        await sync.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sync.FetchUpdatesAsync());
    }

    /// <summary>UTF-8, running a hook once (then clearing it) when it serializes a state: a test's way into the moment between a fetch and its append.</summary>
    private sealed class HookedSerializer : ISerializer<string>
    {
        public Action? OnSerialize { get; set; }

        public void Serialize(string value, System.Buffers.IBufferWriter<byte> output)
        {
            var hook = OnSerialize;
            OnSerialize = null;
            hook?.Invoke();
            Text.Serialize(value, output);
        }

        public string Deserialize(System.Buffers.ReadOnlySequence<byte> bytes) => Text.Deserialize(bytes);
    }
}
