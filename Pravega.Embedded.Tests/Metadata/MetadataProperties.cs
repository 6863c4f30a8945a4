using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Metadata;

/// <summary>
/// Random sequences of metadata operations through the public API (scopes, streams: create, seal, update, truncate,
/// delete; reader groups: create, reset, delete, readers that join, read and leave, so snapshots are written;
/// writes), with reopens in between, compared with a model of scopes, streams, seal flags and groups. Pins issue 6
/// item 5: the store always closes and reopens (replaying what it wrote itself never throws), every call answers as
/// API.md says, and the state after each reopen is the model's (ARCHITECTURE.md invariant 6).
/// </summary>
public sealed class MetadataProperties
{
    private enum Op { CreateScope, DeleteScope, CreateStream, Seal, DeleteStream, Update, Truncate, CreateGroup, DeleteGroup, ResetGroup, Read, Write, Reopen }

    private static readonly string[] Scopes = ["a", "b"];
    private static readonly string[] Streams = ["s", "t"];
    private static readonly string[] Groups = ["g", "h"];

    private sealed record Step(Op Op, int Scope, int Stream, int Group, int OtherScope, int OtherStream, int Count)
    {
        public override string ToString() =>
            $"{Op}({Scopes[Scope]}/{Streams[Stream]} group {Groups[Group]} reads {Scopes[OtherScope]}/{Streams[OtherStream]} x{Count})";
    }

    private static readonly Gen<Step> Steps =
        from op in Gen.Frequency(
            (3, Gen.Constant(Op.CreateScope)), (2, Gen.Constant(Op.DeleteScope)), (4, Gen.Constant(Op.CreateStream)),
            (2, Gen.Constant(Op.Seal)), (2, Gen.Constant(Op.DeleteStream)), (1, Gen.Constant(Op.Update)),
            (1, Gen.Constant(Op.Truncate)), (3, Gen.Constant(Op.CreateGroup)), (2, Gen.Constant(Op.DeleteGroup)),
            (1, Gen.Constant(Op.ResetGroup)), (3, Gen.Constant(Op.Read)), (3, Gen.Constant(Op.Write)), (2, Gen.Constant(Op.Reopen)))
        from scope in Gen.Choose(0, 1)
        from stream in Gen.Choose(0, 1)
        from grp in Gen.Choose(0, 1)
        from otherScope in Gen.Choose(0, 1)
        from otherStream in Gen.Choose(0, 1)
        from count in Gen.Choose(1, 4)
        select new Step(op, scope, stream, grp, otherScope, otherStream, count);

    [Property(MaxTest = 100)]
    public Property Metadata_survives_every_reopen_and_matches_the_model() =>
        Prop.ForAll(Steps.ListOf().Select(s => s.ToArray()).ToArbitrary(), steps => new Run().ExecuteAsync(steps).GetAwaiter().GetResult());

    /// <summary>
    /// A case this property found (CI, 2026-12-02): a group had read part of a stream when the stream was truncated at
    /// its tail; its next reader met the truncation (TruncatedDataException, as Pravega's reader), which the model did
    /// not expect.
    /// </summary>
    [Property(MaxTest = 1, Replay = "(12219564244951137306,2145980560060810599,71)")]
    public Property A_reader_of_a_group_behind_a_truncation_is_told_once_and_reads_on() =>
        Metadata_survives_every_reopen_and_matches_the_model();

    /// <summary>One run: the store, and the model it is compared with.</summary>
    private sealed class Run
    {
        private readonly HashSet<string> _scopes = [];
        private readonly Dictionary<(string Scope, string Stream), Stream> _streams = [];
        private readonly Dictionary<(string Scope, string Group), Selection> _groups = [];
        private int _incarnations;
        private int _readers;

        /// <summary>A stream of the model; a new incarnation each time the name is created.</summary>
        private sealed class Stream(int incarnation)
        {
            public int Incarnation { get; } = incarnation;
            public bool Sealed { get; set; }
            public bool Retention { get; set; }
            public bool Truncated { get; set; }
        }

        /// <summary>What a group reads: a stream, as it was when the group was created or reset.</summary>
        private sealed record Selection(string Scope, string Stream, int Incarnation);

        public async Task<bool> ExecuteAsync(Step[] steps)
        {
            using var dir = new TempStoreDirectory();
            var options = dir.Options(walFileSize: 1 << 20) with { RetentionCheckInterval = Timeout.InfiniteTimeSpan };
            var store = await StreamStore.OpenAsync(options);
            try
            {
                for (int i = 0; i < steps.Length; i++)
                {
                    var step = steps[i];
                    try
                    {
                        if (step.Op == Op.Reopen)
                        {
                            await store.DisposeAsync();
                            store = await StreamStore.OpenAsync(options);
                            await CheckStateAsync(store);
                        }
                        else
                        {
                            await ApplyAsync(store, step);
                        }
                    }
                    catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                    {
                        throw new InvalidOperationException($"Step {i} {step} failed: {e.GetType().Name}: {e.Message}", e);
                    }
                }
                await store.DisposeAsync();
                store = await StreamStore.OpenAsync(options);
                await CheckStateAsync(store);
            }
            finally
            {
                await store.DisposeAsync();
            }
            return true;
        }

        private async Task ApplyAsync(StreamStore store, Step step)
        {
            string scope = Scopes[step.Scope], stream = Streams[step.Stream], group = Groups[step.Group];
            string otherScope = Scopes[step.OtherScope], otherStream = Streams[step.OtherStream];
            bool scopeExists = _scopes.Contains(scope);
            _streams.TryGetValue((scope, stream), out var s);
            var m = store.Streams;
            switch (step.Op)
            {
                case Op.CreateScope:
                    Assert.Equal(_scopes.Add(scope), await m.CreateScopeAsync(scope));
                    break;
                case Op.DeleteScope:
                    if (!scopeExists) Assert.False(await m.DeleteScopeAsync(scope));
                    else if (_streams.Keys.Any(k => k.Scope == scope) || _groups.Keys.Any(k => k.Scope == scope))
                        await Assert.ThrowsAsync<InvalidOperationException>(() => m.DeleteScopeAsync(scope));
                    else
                    {
                        Assert.True(await m.DeleteScopeAsync(scope));
                        _scopes.Remove(scope);
                    }
                    break;
                case Op.CreateStream:
                {
                    var config = new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(step.Count) };
                    if (!scopeExists) await Assert.ThrowsAsync<ScopeNotFoundException>(() => m.CreateStreamAsync(scope, stream, config));
                    else if (s is not null) Assert.False(await m.CreateStreamAsync(scope, stream, config));
                    else
                    {
                        Assert.True(await m.CreateStreamAsync(scope, stream, config));
                        _streams[(scope, stream)] = new Stream(++_incarnations);
                    }
                    break;
                }
                case Op.Seal:
                    await ExpectStream(scope, s, () => m.SealStreamAsync(scope, stream));
                    if (s is not null) s.Sealed = true;
                    break;
                case Op.DeleteStream:
                    if (s is null) Assert.False(await m.DeleteStreamAsync(scope, stream));
                    else if (!s.Sealed) await Assert.ThrowsAsync<InvalidOperationException>(() => m.DeleteStreamAsync(scope, stream));
                    else
                    {
                        Assert.True(await m.DeleteStreamAsync(scope, stream));
                        _streams.Remove((scope, stream));
                    }
                    break;
                case Op.Update:
                {
                    int segments = s is null ? 1 : (await m.GetActiveSegmentsAsync(scope, stream)).Count;
                    var config = new StreamConfiguration
                    {
                        ScalingPolicy = ScalingPolicy.Fixed(segments),
                        RetentionPolicy = s is { Retention: false } ? RetentionPolicy.BySize(1 << 20) : null,
                    };
                    await ExpectStream(scope, s, () => m.UpdateStreamAsync(scope, stream, config), sealedFails: true);
                    if (s is { Sealed: false }) s.Retention = !s.Retention;
                    break;
                }
                case Op.Truncate:
                {
                    var cut = s is null ? new StreamCut(scope, stream, new Dictionary<long, long> { [0] = 0 })
                        : (await m.GetStreamInfoAsync(scope, stream)).Tail;
                    await ExpectStream(scope, s, () => m.TruncateStreamAsync(scope, stream, cut), sealedFails: true);
                    if (s is { Sealed: false }) s.Truncated = true;
                    break;
                }
                case Op.CreateGroup:
                {
                    var config = ReaderGroupConfig.ForStream(otherScope, otherStream);
                    Task<bool> Create() => store.ReaderGroups.CreateReaderGroupAsync(scope, group, config);
                    if (!scopeExists) await Assert.ThrowsAsync<ScopeNotFoundException>(Create);
                    else if (_groups.ContainsKey((scope, group))) Assert.False(await Create());
                    else if (await ExpectSelection(otherScope, otherStream, Create) is { } selection) _groups[(scope, group)] = selection;
                    break;
                }
                case Op.DeleteGroup:
                    Assert.Equal(_groups.Remove((scope, group)), await store.ReaderGroups.DeleteReaderGroupAsync(scope, group));
                    break;
                case Op.ResetGroup:
                {
                    if (!scopeExists)
                        await Assert.ThrowsAsync<ScopeNotFoundException>(() => store.ReaderGroups.GetReaderGroupAsync(scope, group));
                    else if (!_groups.ContainsKey((scope, group)))
                        await Assert.ThrowsAsync<ReaderGroupNotFoundException>(() => store.ReaderGroups.GetReaderGroupAsync(scope, group));
                    else
                    {
                        var handle = await store.ReaderGroups.GetReaderGroupAsync(scope, group);
                        var config = ReaderGroupConfig.ForStream(otherScope, otherStream);
                        if (await ExpectSelection(otherScope, otherStream, async () => { await handle.ResetAsync(config); return true; }) is { } selection)
                            _groups[(scope, group)] = selection;
                    }
                    break;
                }
                case Op.Read:
                {
                    if (!_groups.TryGetValue((scope, group), out var selection)) break;
                    bool sameStream = _streams.TryGetValue((selection.Scope, selection.Stream), out var read) && read.Incarnation == selection.Incarnation;
                    await using var reader = store.CreateReader($"r{++_readers}", scope, group, Serializers.Utf8);
                    try
                    {
                        for (int i = 0; i < step.Count; i++)
                        {
                            try
                            {
                                await reader.ReadNextEventAsync(TimeSpan.Zero);
                            }
                            catch (TruncatedDataException) when (sameStream && read!.Truncated)
                            {
                                // Pravega's reader: what the group had not read yet was truncated; it says so once
                                // and reads on from the new start.
                            }
                        }
                    }
                    catch (PravegaException) when (!sameStream)
                    {
                        // The stream the group reads was deleted (perhaps created again): what a reader then meets
                        // is not this property's subject; that the store still closes and reopens is.
                    }
                    break; // leaving writes the group's snapshot
                }
                case Op.Write:
                {
                    await using var writer = store.CreateEventWriter(scope, stream, Serializers.Utf8);
                    await ExpectStream(scope, s, async () =>
                    {
                        for (int i = 0; i < step.Count; i++) await writer.WriteEventAsync($"k{i}", $"event {i}");
                    }, sealedFails: true);
                    break;
                }
            }
        }

        /// <summary>Runs an operation on a stream: the model says whether it succeeds or which exception it throws.</summary>
        private async Task ExpectStream(string scope, Stream? stream, Func<Task> operation, bool sealedFails = false)
        {
            if (!_scopes.Contains(scope)) await Assert.ThrowsAsync<ScopeNotFoundException>(operation);
            else if (stream is null) await Assert.ThrowsAsync<StreamNotFoundException>(operation);
            else if (sealedFails && stream.Sealed) await Assert.ThrowsAsync<StreamSealedException>(operation);
            else await operation();
        }

        /// <summary>Creates or resets a group to read a stream; the new selection, or null if the model says it fails.</summary>
        private async Task<Selection?> ExpectSelection(string scope, string stream, Func<Task<bool>> operation)
        {
            if (!_scopes.Contains(scope))
            {
                await Assert.ThrowsAsync<ScopeNotFoundException>(operation);
                return null;
            }
            if (!_streams.TryGetValue((scope, stream), out var s))
            {
                await Assert.ThrowsAsync<StreamNotFoundException>(operation);
                return null;
            }
            Assert.True(await operation());
            return new Selection(scope, stream, s.Incarnation);
        }

        private async Task CheckStateAsync(StreamStore store)
        {
            Assert.Equal(_scopes.Order(StringComparer.Ordinal), await store.Streams.ListScopesAsync().ToListAsync());
            foreach (string scope in Scopes)
            {
                if (!_scopes.Contains(scope))
                {
                    await Assert.ThrowsAsync<ScopeNotFoundException>(async () => await store.Streams.ListStreamsAsync(scope).ToListAsync());
                    continue;
                }
                Assert.Equal(_streams.Keys.Where(k => k.Scope == scope).Select(k => k.Stream).Order(StringComparer.Ordinal),
                             await store.Streams.ListStreamsAsync(scope).ToListAsync());
                foreach (var ((sc, name), s) in _streams.Where(p => p.Key.Scope == scope))
                    Assert.Equal(s.Sealed, (await store.Streams.GetStreamInfoAsync(sc, name)).IsSealed);
                foreach (string group in Groups)
                {
                    if (_groups.ContainsKey((scope, group))) await store.ReaderGroups.GetReaderGroupAsync(scope, group);
                    else await Assert.ThrowsAsync<ReaderGroupNotFoundException>(() => store.ReaderGroups.GetReaderGroupAsync(scope, group));
                }
            }
        }
    }
}
