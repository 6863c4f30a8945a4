using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.KeyValueTables;

/// <summary>
/// A key-value table against a <see cref="Dictionary{TKey, TValue}"/> model: random puts, conditional puts, replaces and
/// removes (with the current version, a stale one, or NotExists), batch updates and reopens agree with the model at
/// every step, versions included: a failed condition changes nothing, and each key's versions only increase.
/// </summary>
public sealed class KeyValueTableProperties
{
    private enum OpKind { Put, PutIfAbsent, ReplaceCurrent, ReplaceStale, ReplaceNotExists, RemoveCurrent, RemoveStale, Remove, UpdateAll, Reopen }

    private sealed record Op(OpKind Kind, int Key, int Count);

    private static readonly Gen<Op> Ops =
        from kind in Gen.Frequency(
            (4, Gen.Constant(OpKind.Put)), (2, Gen.Constant(OpKind.PutIfAbsent)), (3, Gen.Constant(OpKind.ReplaceCurrent)),
            (1, Gen.Constant(OpKind.ReplaceStale)), (1, Gen.Constant(OpKind.ReplaceNotExists)), (2, Gen.Constant(OpKind.RemoveCurrent)),
            (1, Gen.Constant(OpKind.RemoveStale)), (1, Gen.Constant(OpKind.Remove)), (2, Gen.Constant(OpKind.UpdateAll)),
            (1, Gen.Constant(OpKind.Reopen)))
        from key in Gen.Choose(0, 7)
        from count in Gen.Choose(1, 5)
        select new Op(kind, key, count);

    [Property(MaxTest = 20)]
    public Property The_table_agrees_with_a_dictionary_at_every_step() =>
        Prop.ForAll(Ops.ListOf().Select(o => o.ToArray()).ToArbitrary(), ops => RunAsync(ops).GetAwaiter().GetResult());

    private static string Key(int i) => "k" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Index budgets so small that the index merges into files and compacts within a few dozen operations.</summary>
    private static StreamStoreOptions Options(TempStoreDirectory dir) => dir.Options() with
    {
        TableIndex = new Pravega.Embedded.Client.Internal.TableIndexOptions
        {
            DeltaBudgetBytes = 256,
            UncoveredBudgetBytes = 512,
            CompactionMinBytes = 128,
            CompactionWindowBytes = 128,
        },
    };

    private static async Task<bool> RunAsync(Op[] ops)
    {
        using var dir = new TempStoreDirectory();
        var store = await StreamStore.OpenAsync(Options(dir));
        var model = new Dictionary<string, (string Value, KeyVersion Version)>(StringComparer.Ordinal);
        var highest = new Dictionary<string, long>(StringComparer.Ordinal); // each key's highest version ever
        try
        {
            await store.Streams.CreateScopeAsync("s");
            await store.KeyValueTables.CreateKeyValueTableAsync("s", "t", new KeyValueTableConfiguration { PartitionCount = 3 });
            var table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
            int step = 0;
            foreach (var op in ops)
            {
                step++;
                string key = Key(op.Key), value = "v" + step.ToString(CultureInfo.InvariantCulture);
                bool present = model.TryGetValue(key, out var current);
                // A version the key does not have now: an earlier one, or (for a key whose first version is 1) a later one.
                var stale = present && current.Version.Value > 1 ? new KeyVersion(current.Version.Value - 1) : new KeyVersion(highest.GetValueOrDefault(key) + 1);
                switch (op.Kind)
                {
                    case OpKind.Put:
                        Written(key, value, await table.PutAsync(key, value));
                        break;
                    case OpKind.PutIfAbsent:
                        if (present) await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.PutIfAbsentAsync(key, value));
                        else Written(key, value, await table.PutIfAbsentAsync(key, value));
                        break;
                    case OpKind.ReplaceCurrent:
                        if (present) Written(key, value, await table.ReplaceAsync(key, value, current.Version));
                        else Written(key, value, await table.ReplaceAsync(key, value, KeyVersion.NotExists));
                        break;
                    case OpKind.ReplaceStale:
                        await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.ReplaceAsync(key, value, stale));
                        break;
                    case OpKind.ReplaceNotExists:
                        if (present) await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.ReplaceAsync(key, value, KeyVersion.NotExists));
                        else Written(key, value, await table.ReplaceAsync(key, value, KeyVersion.NotExists));
                        break;
                    case OpKind.RemoveCurrent:
                        if (present)
                        {
                            await table.RemoveAsync(key, current.Version);
                            model.Remove(key);
                        }
                        else await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.RemoveAsync(key, new KeyVersion(1)));
                        break;
                    case OpKind.RemoveStale:
                        await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.RemoveAsync(key, stale));
                        break;
                    case OpKind.Remove:
                        await table.RemoveAsync(key);
                        model.Remove(key);
                        break;
                    case OpKind.UpdateAll:
                    {
                        var keys = Enumerable.Range(op.Key, op.Count).Select(i => Key(i % 8)).Distinct().ToList();
                        bool spoil = op.Count == 5; // one condition fails: nothing may change
                        var entries = keys.Select((k, i) => new TableEntry<string, string>(k, value + k,
                            spoil && i == 0 ? new KeyVersion(highest.GetValueOrDefault(k) + 7)
                            : model.TryGetValue(k, out var c) ? c.Version : KeyVersion.NotExists)).ToList();
                        if (spoil)
                        {
                            await Assert.ThrowsAsync<ConditionalUpdateException>(() => table.UpdateAllAsync(entries));
                            break;
                        }
                        var versions = await table.UpdateAllAsync(entries);
                        for (int i = 0; i < keys.Count; i++) Written(keys[i], value + keys[i], versions[i]);
                        break;
                    }
                    case OpKind.Reopen:
                        await store.Runtime.TablesIdleAsync(); // merges and compactions finish first: the reopen then starts from them
                        await table.DisposeAsync();
                        await store.DisposeAsync();
                        store = await StreamStore.OpenAsync(Options(dir));
                        table = await store.OpenKeyValueTableAsync("s", "t", Serializers.Utf8, Serializers.Utf8);
                        break;
                }
                for (int k = 0; k < 8; k++)
                {
                    var entry = await table.GetAsync(Key(k));
                    if (model.TryGetValue(Key(k), out var expected)) Assert.Equal(new TableEntry<string, string>(Key(k), expected.Value, expected.Version), entry);
                    else Assert.Null(entry);
                }
            }
            var all = await table.EntriesAsync().ToListAsync();
            Assert.Equal(model.Count, all.Count);
            foreach (var e in all) Assert.Equal(model[e.Key], (e.Value, e.Version));
            await table.DisposeAsync();
            return true;
        }
        finally
        {
            await store.DisposeAsync();
        }

        void Written(string key, string value, KeyVersion version)
        {
            Assert.True(version.Value > highest.GetValueOrDefault(key), $"{key}: version {version.Value} after {highest.GetValueOrDefault(key)}");
            highest[key] = version.Value;
            model[key] = (value, version);
        }
    }
}
