using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Readers;

/// <summary>
/// Reader groups under random interleavings of writes, readers joining and leaving (gracefully, offline with a
/// position, offline without one), reads and checkpoints, compared with a model: every written event is read, per
/// reader the events of a key come in write order, and an event is read twice only if a reader went offline
/// without a position after reading it past the group's last checkpoint (ARCHITECTURE.md invariant 3; API.md).
/// </summary>
public sealed class ReaderGroupProperties
{
    private enum StepKind { Write, Join, Read, Leave, OfflineAtPosition, OfflineNoPosition, Checkpoint }

    private sealed record Step(StepKind Kind, int Reader, int Count);

    private static readonly Gen<Step> Steps =
        from kind in Gen.Frequency(
            (4, Gen.Constant(StepKind.Write)), (3, Gen.Constant(StepKind.Join)), (8, Gen.Constant(StepKind.Read)),
            (1, Gen.Constant(StepKind.Leave)), (1, Gen.Constant(StepKind.OfflineAtPosition)),
            (1, Gen.Constant(StepKind.OfflineNoPosition)), (2, Gen.Constant(StepKind.Checkpoint)))
        from reader in Gen.Choose(0, 3)
        from count in Gen.Choose(1, 25)
        select new Step(kind, reader, count);

    [Property(MaxTest = 25)]
    public Property Readers_get_every_event_in_key_order_and_duplicates_only_after_offline_without_position() =>
        Prop.ForAll(Steps.ListOf().Select(s => s.ToArray()).ToArbitrary(), steps => RunAsync(steps).GetAwaiter().GetResult());

    private sealed class ReaderModel(IEventStreamReader<string> reader)
    {
        public IEventStreamReader<string> Reader { get; } = reader;
        public Dictionary<int, int> LastPerKey { get; } = [];

        /// <summary>Index of the last checkpoint this reader is past (it joins past every checkpoint already started).</summary>
        public int? Passed { get; set; }

        public Position? LastPosition { get; set; }
    }

    private static async Task<bool> RunAsync(Step[] steps)
    {
        using var dir = new TempStoreDirectory();
        await using var store = await dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 6);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        var written = new List<string>();
        var received = new List<string>();
        var receivedPast = new List<(string Event, int Passed)>(); // each read event with the checkpoint its reader was past
        var mayRepeat = new HashSet<string>();
        var online = new Dictionary<int, ReaderModel>();
        var checkpoints = new List<Task<Checkpoint>>();
        int generation = 0;

        async Task ReadAsync(ReaderModel m, int count)
        {
            m.Passed ??= checkpoints.Count - 1;
            for (int i = 0; i < count; i++)
            {
                var read = await m.Reader.ReadNextEventAsync(TimeSpan.Zero);
                if (read.IsCheckpoint)
                {
                    m.Passed = int.Parse(read.CheckpointName!.AsSpan(3), CultureInfo.InvariantCulture);
                    continue;
                }
                if (!read.HasEvent) return;
                var parts = read.Event!.Split(':');
                int key = int.Parse(parts[0], CultureInfo.InvariantCulture), n = int.Parse(parts[1], CultureInfo.InvariantCulture);
                Assert.True(mayRepeat.Contains(read.Event) || !m.LastPerKey.TryGetValue(key, out int last) || last < n,
                    $"key {key}: event {n} after {m.LastPerKey.GetValueOrDefault(key)}");
                m.LastPerKey[key] = n;
                m.LastPosition = read.Position;
                received.Add(read.Event);
                receivedPast.Add((read.Event, m.Passed.Value));
            }
        }

        foreach (var step in steps)
        {
            online.TryGetValue(step.Reader, out var model);
            switch (step.Kind)
            {
                case StepKind.Write:
                    for (int i = 0; i < step.Count; i++)
                    {
                        string e = $"{written.Count % 7}:{written.Count}";
                        await writer.WriteEventAsync($"key-{written.Count % 7}", e);
                        written.Add(e);
                    }
                    break;
                case StepKind.Join when model is null:
                    online[step.Reader] = new ReaderModel(store.CreateReader($"r{step.Reader}-{generation++}", "s", "g", Serializers.Utf8));
                    await ReadAsync(online[step.Reader], 1);
                    break;
                case StepKind.Read when model is not null:
                    await ReadAsync(model, step.Count);
                    break;
                case StepKind.Leave when model is not null:
                    await model.Reader.DisposeAsync();
                    online.Remove(step.Reader);
                    break;
                case StepKind.OfflineAtPosition or StepKind.OfflineNoPosition when model is not null:
                {
                    var position = step.Kind == StepKind.OfflineAtPosition ? model.LastPosition : null;
                    if (position is null)
                    {
                        // The group rewinds the reader's segments to the last checkpoint (or a later one it already has).
                        int completed = checkpoints.TakeWhile(c => c.IsCompletedSuccessfully).Count() - 1;
                        foreach (var (e, passed) in receivedPast)
                            if (passed >= completed) mayRepeat.Add(e);
                    }
                    await group.ReaderOfflineAsync(model.Reader.ReaderId, position);
                    await model.Reader.DisposeAsync();
                    online.Remove(step.Reader);
                    break;
                }
                case StepKind.Checkpoint:
                    checkpoints.Add(group.InitiateCheckpointAsync($"cp-{checkpoints.Count}"));
                    break;
            }
        }

        // Everyone still online drains (passing any checkpoint under way), then a fresh reader takes the rest.
        foreach (var m in online.Values) await ReadAsync(m, int.MaxValue);
        foreach (var m in online.Values) await m.Reader.DisposeAsync();
        await Task.WhenAll(checkpoints).WaitAsync(TimeSpan.FromSeconds(30));
        var last = new ReaderModel(store.CreateReader("final", "s", "g", Serializers.Utf8));
        await ReadAsync(last, int.MaxValue);
        await last.Reader.DisposeAsync();

        Assert.Equal(written.Order(), received.Distinct().Order());
        var repeated = received.GroupBy(e => e).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.All(repeated, e => Assert.Contains(e, mayRepeat));
        return true;
    }
}
