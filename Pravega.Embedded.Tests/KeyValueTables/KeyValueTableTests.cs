using System.Globalization;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.KeyValueTables;

/// <summary>
/// Key-value tables through the public API: the manager, versions that only increase (also across removal, re-insert and
/// reopen), every conditional operation and its failure, atomic multi-key updates across partitions, 1 MiB values, and
/// what is refused.
/// </summary>
public sealed class KeyValueTableTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<StreamStore> OpenAsync(bool create = true)
    {
        var store = await StreamStore.OpenAsync(_dir.Options(32 << 20));
        if (!create) return store;
        await store.Streams.CreateScopeAsync("s");
        Assert.True(await store.KeyValueTables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration { PartitionCount = 4 }));
        return store;
    }

    private static Task<IKeyValueTable<string, string>> TableAsync(StreamStore store) =>
        store.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);

    [Fact]
    public async Task The_manager_creates_lists_and_deletes_tables()
    {
        await using var store = await OpenAsync();
        var tables = store.KeyValueTables;
        Assert.False(await tables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration()));
        Assert.True(await tables.CreateKeyValueTableAsync("s", "u", new KeyValueTableConfiguration { PartitionCount = 1 }));
        Assert.Equal(["t", "u"], await tables.ListKeyValueTablesAsync("s").ToListAsync());
        Assert.Empty(await store.Streams.ListStreamsAsync("s").ToListAsync()); // tables are not streams to the user
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Streams.DeleteScopeAsync("s")); // tables left
        await using (var u = await store.OpenKeyValueTableAsync("s", "u", Serializers.Utf8, Serializers.Utf8))
        {
            await u.PutAsync("k", "v");
            Assert.True(await tables.DeleteKeyValueTableAsync("s", "u"));
            await Assert.ThrowsAsync<InvalidOperationException>(() => u.GetAsync("k"));
        }
        Assert.False(await tables.DeleteKeyValueTableAsync("s", "u"));
        Assert.False(await tables.DeleteKeyValueTableAsync("nope", "u"));
        Assert.True(await tables.CreateKeyValueTableAsync("s", "u", new KeyValueTableConfiguration()));
        await using (var again = await store.OpenKeyValueTableAsync("s", "u", Serializers.Utf8, Serializers.Utf8))
            Assert.Null(await again.GetAsync("k")); // a new table: the old one's entries are gone
        Assert.Equal(["t", "u"], await tables.ListKeyValueTablesAsync("s").ToListAsync());

        Assert.Throws<ArgumentException>(() => { _ = tables.CreateKeyValueTableAsync("s", "bad_name", new KeyValueTableConfiguration()); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = tables.CreateKeyValueTableAsync("s", "x", new KeyValueTableConfiguration { PartitionCount = 0 }); });
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => tables.CreateKeyValueTableAsync("nope", "x", new KeyValueTableConfiguration()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.OpenKeyValueTableAsync("s", "missing", Serializers.Utf8, Serializers.Utf8));
    }

    [Fact]
    public async Task Conditions_hold_and_versions_only_increase_also_across_removal_and_a_reopen()
    {
        KeyVersion last;
        await using (var store = await OpenAsync())
        {
            await using var table = await TableAsync(store);
            var v1 = await table.PutAsync("k", "one");
            Assert.True(v1.Value > 0);
            Assert.Equal(new TableEntry<string, string>("k", "one", v1), await table.GetAsync("k"));
            var v2 = await table.PutAsync("k", "two");
            Assert.True(v2.Value > v1.Value);
            var v3 = await table.ReplaceAsync("k", "three", v2);
            Assert.True(v3.Value > v2.Value);
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.ReplaceAsync("k", "stale", v1));
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.ReplaceAsync("k", "absent?", KeyVersion.NotExists));
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.PutIfAbsentAsync("k", "again"));
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.RemoveAsync("k", v2));
            Assert.Equal("three", (await table.GetAsync("k"))!.Value); // no failed condition changed anything
            await table.RemoveAsync("k", v3);
            Assert.Null(await table.GetAsync("k"));
            await table.RemoveAsync("k"); // absent, unconditional: nothing to do
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.RemoveAsync("k", v3));
            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.ReplaceAsync("k", "x", v3));
            var v4 = await table.PutIfAbsentAsync("k", "four");
            Assert.True(v4.Value > v3.Value);
            var v5 = await table.ReplaceAsync("other", "new", KeyVersion.NotExists);
            Assert.True(v5.Value > 0);
            last = v4;
        }
        await using (var store = await OpenAsync(create: false))
        {
            await using var table = await TableAsync(store);
            Assert.Equal(new TableEntry<string, string>("k", "four", last), await table.GetAsync("k"));
            var v6 = await table.ReplaceAsync("k", "six", last);
            Assert.True(v6.Value > last.Value);
            Assert.Equal(2, await table.EntriesAsync().CountAsync());
        }
    }

    [Fact]
    public async Task UpdateAll_is_all_or_nothing_across_partitions()
    {
        await using var store = await OpenAsync();
        await using var table = await TableAsync(store);
        var keys = Enumerable.Range(0, 20).Select(i => "key" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var versions = await table.UpdateAllAsync([.. keys.Select(k => new TableEntry<string, string>(k, "v1:" + k, KeyVersion.NotExists))]);
        Assert.Equal(keys.Count, versions.Count);
        for (int i = 0; i < keys.Count; i++) Assert.Equal(versions[i], (await table.GetAsync(keys[i]))!.Version);

        // One stale condition among twenty: nothing changes.
        var batch = keys.Select((k, i) => new TableEntry<string, string>(k, "v2:" + k, i == 13 ? KeyVersion.NotExists : versions[i])).ToList();
        await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.UpdateAllAsync(batch));
        foreach (var k in keys) Assert.Equal("v1:" + k, (await table.GetAsync(k))!.Value);

        var next = await table.UpdateAllAsync([.. keys.Select((k, i) => new TableEntry<string, string>(k, "v2:" + k, i % 2 == 0 ? versions[i] : KeyVersion.Any))]);
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.True(next[i].Value > versions[i].Value);
            Assert.Equal(new TableEntry<string, string>(keys[i], "v2:" + keys[i], next[i]), await table.GetAsync(keys[i]));
        }
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpdateAllAsync([new("a", "1", KeyVersion.Any), new("a", "2", KeyVersion.Any)]));
        Assert.Empty(await table.UpdateAllAsync([]));
    }

    [Fact]
    public async Task Values_of_a_MiB_survive_a_reopen()
    {
        var value = new string('v', 1 << 20);
        await using (var store = await OpenAsync())
        {
            await using var table = await TableAsync(store);
            for (int i = 0; i < 8; i++) await table.PutAsync("big" + i.ToString(CultureInfo.InvariantCulture), value + i.ToString(CultureInfo.InvariantCulture));
            await Assert.ThrowsAsync<ArgumentException>(() => table.PutAsync("huge", new string('h', 9 << 20)));
        }
        await using (var store = await OpenAsync(create: false))
        {
            await using var table = await TableAsync(store);
            for (int i = 0; i < 8; i++) Assert.Equal(value + i.ToString(CultureInfo.InvariantCulture), (await table.GetAsync("big" + i.ToString(CultureInfo.InvariantCulture)))!.Value);
            Assert.Null(await table.GetAsync("huge"));
        }
    }
}
