using System.Globalization;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Scaling;

/// <summary>
/// <c>ScaleStreamAsync</c> through the public API: epochs and segment ids, what a scale refuses, writers moving to the
/// successors, readers reading successors only after their predecessors, truncation, the batch client and
/// <c>UpdateStreamAsync</c> across epochs, and all of it after a reopen (from a checkpoint, and by replaying the WAL).
/// </summary>
public sealed class ManualScalingTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long Id(int epoch, int number) => ((long)epoch << 32) | (uint)number;

    private static string Event(string key, int i) => key + ":" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static async Task<List<(long Id, KeyRange Range)>> ActiveAsync(StreamStore store, string stream = "t") =>
        [.. (await store.Streams.GetActiveSegmentsAsync("s", stream)).Select(r => (r.SegmentId, r.KeyRange))];

    private static async Task WriteAsync(IEventStreamWriter<string> writer, string[] keys, int from, int count)
    {
        var pending = new List<Task>();
        for (int i = from; i < from + count; i++) pending.Add(writer.WriteEventAsync(keys[i % keys.Length], Event(keys[i % keys.Length], i)));
        await Task.WhenAll(pending);
    }

    /// <summary>Every event once, and per key in write order (the number after the key only grows).</summary>
    private static void AssertKeyOrder(IEnumerable<string> read, int expected)
    {
        var events = read.ToList();
        Assert.Equal(expected, events.Count);
        Assert.Equal(events.Count, events.Distinct().Count());
        foreach (var key in events.GroupBy(e => e.Split(':')[0]))
        {
            var numbers = key.Select(e => int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Splits_and_merges_make_epochs_whose_ids_and_ranges_survive_reopen(bool fromCheckpoint)
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 2);
            Assert.Equal([(Id(0, 0), new KeyRange(0, 0.5)), (Id(0, 1), new KeyRange(0.5, 1))], await ActiveAsync(store));

            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 1)], [new KeyRange(0.5, 0.75), new KeyRange(0.75, 1)]);
            Assert.Equal([(Id(0, 0), new KeyRange(0, 0.5)), (Id(1, 2), new KeyRange(0.5, 0.75)), (Id(1, 3), new KeyRange(0.75, 1))], await ActiveAsync(store));

            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0), Id(1, 2)], [new KeyRange(0, 0.75)]);
            Assert.Equal([(Id(2, 4), new KeyRange(0, 0.75)), (Id(1, 3), new KeyRange(0.75, 1))], await ActiveAsync(store));

            var tail = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            Assert.Equal([Id(1, 3), Id(2, 4)], tail.Positions.Keys.Order());
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal([(Id(2, 4), new KeyRange(0, 0.75)), (Id(1, 3), new KeyRange(0.75, 1))], await ActiveAsync(store));
            var info = await store.Streams.GetStreamInfoAsync("s", "t");
            Assert.Equal([Id(0, 0), Id(0, 1)], info.Head.Positions.Keys.Order());
            await store.Streams.ScaleStreamAsync("s", "t", [Id(1, 3)], [new KeyRange(0.75, 0.9), new KeyRange(0.9, 1)]);
            Assert.Equal([Id(2, 4), Id(3, 5), Id(3, 6)], (await ActiveAsync(store)).Select(a => a.Id));
        }
    }

    [Fact]
    public async Task A_scale_that_does_not_cover_exactly_the_sealed_ranges_is_refused_and_changes_nothing()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        var before = await ActiveAsync(store);

        async Task Refused(IReadOnlyList<long> seal, IReadOnlyList<KeyRange> ranges) =>
            await Assert.ThrowsAsync<ArgumentException>(() => store.Streams.ScaleStreamAsync("s", "t", seal, ranges));

        await Refused([Id(0, 0)], [new KeyRange(0, 0.25)]);                                   // a gap
        await Refused([Id(0, 0)], [new KeyRange(0, 0.3), new KeyRange(0.25, 0.5)]);          // an overlap
        await Refused([Id(0, 0)], [new KeyRange(0, 0.75)]);                                   // beyond the sealed range
        await Refused([Id(0, 0), Id(0, 0)], [new KeyRange(0, 0.5)]);                          // named twice
        await Refused([Id(5, 9)], [new KeyRange(0, 0.5)]);                                    // no such segment
        await Refused([], [new KeyRange(0, 0.5)]);
        await Refused([Id(0, 0)], []);
        await Refused([Id(0, 0)], [new KeyRange(0.25, 0.25), new KeyRange(0, 0.5)]);         // an empty range
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.25), new KeyRange(0.25, 0.5)]);
        await Refused([Id(0, 0)], [new KeyRange(0, 0.5)]);                                    // sealed already: not active
        Assert.Equal(3, (await ActiveAsync(store)).Count);
        Assert.Equal(before[1], (await ActiveAsync(store))[2]);

        await store.Streams.SealStreamAsync("s", "t");
        await Assert.ThrowsAsync<StreamSealedException>(() => store.Streams.ScaleStreamAsync("s", "t", [Id(0, 1)], [new KeyRange(0.5, 1)]));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => store.Streams.ScaleStreamAsync("s", "none", [Id(0, 0)], [new KeyRange(0, 1)]));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => store.Streams.ScaleStreamAsync("none", "t", [Id(0, 0)], [new KeyRange(0, 1)]));
    }

    [Fact]
    public async Task Writers_move_to_the_successors_and_readers_get_every_key_in_order_across_splits_and_merges()
    {
        string[] keys = [.. Enumerable.Range(0, 40).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);

        // Writes race the scales: every one lands in a segment that was active when it was appended.
        var writing = Task.Run(async () =>
        {
            for (int round = 0; round < 20; round++) await WriteAsync(writer, keys, round * 100, 100);
        });
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(1, 1)], [new KeyRange(0, 0.2), new KeyRange(0.2, 0.5)]);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(2, 4), Id(1, 2)], [new KeyRange(0.2, 0.6), new KeyRange(0.6, 1)]);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(2, 3), Id(3, 5), Id(3, 6)], [new KeyRange(0, 1)]);
        await writing;

        var active = await store.Streams.GetActiveSegmentsAsync("s", "t");
        Assert.Equal(Id(4, 7), Assert.Single(active).SegmentId);
        var ranges = new List<SegmentRange>();
        await foreach (var r in store.Batch.ListSegmentsAsync("s", "t")) ranges.Add(r);
        Assert.Equal(8, ranges.Count);
        Assert.Equal(2000, ranges.Sum(r => 0L + CountEvents(store, r)));

        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var read = new List<string>();
        while (read.Count < 2000)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
            Assert.True(e.HasEvent, $"read {read.Count} of 2000");
            read.Add(e.Event!);
        }
        AssertKeyOrder(read, 2000);
    }

    private static int CountEvents(StreamStore store, SegmentRange range)
    {
        int count = 0;
        var events = store.Batch.ReadSegmentAsync(range, Serializers.Utf8).GetAsyncEnumerator();
        try
        {
            while (events.MoveNextAsync().AsTask().GetAwaiter().GetResult()) count++;
        }
        finally
        {
            events.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return count;
    }

    [Fact]
    public async Task Exactly_once_by_writer_id_holds_across_a_scale_and_a_reopen()
    {
        var options = new EventWriterOptions { WriterId = "w" };
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, options);
            for (int n = 0; n < 10; n++) Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k" + n, "e" + n, n));
            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
            for (int n = 5; n < 10; n++) Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k" + n, "again", n));
            for (int n = 10; n < 20; n++) Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k" + n, "e" + n, n));
        }
        _dir.ForgetCheckpoints();
        await using (var store = await _dir.OpenAsync())
        {
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, options);
            await writer.FlushAsync();
            Assert.Equal(19, writer.LastEventNumber);
            Assert.Equal(WriteResult.Duplicate, await writer.WriteEventAsync("k3", "again", 19));
            var events = await store.ReadAllAsync("s", "t", int.MaxValue);
            Assert.Equal(20, events.Count);
            Assert.DoesNotContain(events, e => e.Event == "again");
        }
    }

    [Fact]
    public async Task The_container_refuses_an_append_to_a_sealed_segment_and_records_nothing_of_it()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        var stream = store.Runtime.Controller.GetStream("s", "t");
        Assert.True(stream.TryGetSegment(Id(0, 0), out var old));
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 1)]);

        var container = store.Runtime.Container;
        lock (container.Lock)
        {
            Assert.Equal(0, container.AppendEvent(old.Data, "w", 7, "late"u8, out bool duplicate));
            Assert.False(duplicate);
            Assert.Equal(0, old.Data.Length);
        }
        Assert.Equal(-1, container.LastEventNumber(stream.Id, "w")); // event 7 was not taken: a resend is no duplicate
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = "w" });
        Assert.Equal(WriteResult.Written, await writer.WriteEventAsync("k", "e7", 7));
    }

    [Fact]
    public async Task A_successor_waits_until_every_predecessor_is_read_to_its_end()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        string[] keys = [.. Enumerable.Range(0, 20).Select(i => "key" + i)];
        await WriteAsync(writer, keys, 0, 200);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0), Id(0, 1)], [new KeyRange(0, 1)]);
        await WriteAsync(writer, keys, 200, 100);

        // Two readers each hold one predecessor; the merged successor goes out only after both are read to the end.
        await using var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        await using var b = store.CreateReader("b", "s", "g", Serializers.Utf8);
        var readA = new List<string>();
        var readB = new List<string>();
        readA.Add((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        await ReadUntilTimeoutAsync(b, readB);
        Assert.NotEmpty(readB);
        Assert.All(readB, e => Assert.True(Number(e) < 200, e)); // b read its predecessor, and nothing of the successor
        var rest = new List<string>(); // read one after the other: in the order the group gave them out
        await ReadUntilTimeoutAsync(a, rest);
        await ReadUntilTimeoutAsync(b, rest);
        AssertKeyOrder(readA.Concat(readB).Concat(rest), 300);
    }

    private static int Number(string e) => int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture);

    private static async Task<Position?> ReadUntilTimeoutAsync(IEventStreamReader<string> reader, List<string> read)
    {
        while (true)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(300));
            if (!e.HasEvent) return e.Position;
            read.Add(e.Event!);
        }
    }

    [Fact]
    public async Task A_group_with_an_end_cut_in_a_later_epoch_reads_to_it_and_no_further()
    {
        string[] keys = [.. Enumerable.Range(0, 10).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 100);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await WriteAsync(writer, keys, 100, 100);
        var end = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await store.Streams.ScaleStreamAsync("s", "t", [Id(1, 1), Id(1, 2)], [new KeyRange(0, 1)]);
        await WriteAsync(writer, keys, 200, 100);

        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t", end: end));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var read = new List<string>();
        while (true)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
            if (e.IsEndOfStream) break;
            Assert.True(e.HasEvent, "timed out before the end of the group's end cut");
            read.Add(e.Event!);
        }
        AssertKeyOrder(read, 200);
        Assert.All(read, e => Assert.True(Number(e) < 200, e));
    }

    [Fact]
    public async Task A_sealed_stream_that_was_scaled_is_read_to_its_end_by_a_group_of_two()
    {
        string[] keys = [.. Enumerable.Range(0, 12).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 60);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 1)], [new KeyRange(0.5, 0.75), new KeyRange(0.75, 1)]);
        await WriteAsync(writer, keys, 60, 60);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0), Id(1, 2)], [new KeyRange(0, 0.75)]);
        await WriteAsync(writer, keys, 120, 60);
        await store.Streams.SealStreamAsync("s", "t");

        await using var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        await using var b = store.CreateReader("b", "s", "g", Serializers.Utf8);
        // Taking turns: one may wait while the other holds what is left (it gives back only at its own reads).
        var read = new List<string>();
        bool aEnded = false, bEnded = false;
        for (int idle = 0; !(aEnded && bEnded); idle++)
        {
            Assert.True(idle < 100, $"no progress after {read.Count} events: the group did not reach the end of the stream");
            foreach (var (reader, which) in new[] { (a, 0), (b, 1) })
            {
                if (which == 0 ? aEnded : bEnded) continue;
                var e = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(20));
                if (e.IsEndOfStream)
                {
                    if (which == 0) aEnded = true;
                    else bEnded = true;
                    idle = 0;
                }
                else if (e.HasEvent)
                {
                    read.Add(e.Event!);
                    idle = 0;
                }
            }
        }
        AssertKeyOrder(read, 180);
    }

    [Fact]
    public async Task A_checkpoint_taken_across_epochs_restarts_a_group_with_exactly_the_rest()
    {
        string[] keys = [.. Enumerable.Range(0, 16).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 100);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.25), new KeyRange(0.25, 0.5)]);
        await WriteAsync(writer, keys, 100, 100);

        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var before = new List<string>();
        Checkpoint checkpoint;
        await using (var reader = store.CreateReader("r", "s", "g", Serializers.Utf8))
        {
            for (int i = 0; i < 120; i++) before.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
            var pending = group.InitiateCheckpointAsync("cp");
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
            Assert.True(e.IsCheckpoint);
            checkpoint = await pending;
        }
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 1)], [new KeyRange(0.5, 1)]);
        await WriteAsync(writer, keys, 200, 50);

        await store.ReaderGroups.CreateReaderGroupAsync("s", "again", ReaderGroupConfig.FromCheckpoint(checkpoint));
        var after = await store.ReadAllAsync("s", "t", 250, "again");
        AssertKeyOrder(before.Concat(after.Select(e => e.Event!)), 250);
    }

    [Fact]
    public async Task A_reader_declared_offline_without_a_position_is_rewound_to_the_checkpoint_across_epochs()
    {
        string[] keys = [.. Enumerable.Range(0, 16).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 60);
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        await using var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        var first = new List<string>();
        for (int i = 0; i < 30; i++) first.Add((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        var pending = group.InitiateCheckpointAsync("cp");
        Assert.True((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).IsCheckpoint);
        await pending;
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await WriteAsync(writer, keys, 60, 60);
        var lost = new List<string>(); // read by a after the checkpoint, then a dies: these come again
        for (int i = 0; i < 50; i++) lost.Add((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);

        await group.ReaderOfflineAsync("a", null);
        var rest = await store.ReadAllAsync("s", "t", 90, "g");
        AssertKeyOrder(first.Concat(rest.Select(e => e.Event!)), 120);
        Assert.Subset(rest.Select(e => e.Event!).ToHashSet(), lost.ToHashSet());
    }

    [Fact]
    public async Task Rewinding_a_predecessor_takes_its_successor_back_from_the_reader_that_holds_it()
    {
        string[] keys = [.. Enumerable.Range(0, 16).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 40);
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        await using var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        for (int i = 0; i < 10; i++) Assert.True((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
        var checkpoint = group.InitiateCheckpointAsync("cp");
        Assert.True((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).IsCheckpoint);
        await checkpoint;
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await WriteAsync(writer, keys, 40, 40);

        // a reads the rest of the first segment and into one successor; b gets the other successor and reads some of it.
        await using var b = store.CreateReader("b", "s", "g", Serializers.Utf8);
        Assert.False((await b.ReadNextEventAsync(TimeSpan.FromMilliseconds(100))).HasEvent);
        for (int i = 0; i < 35; i++) Assert.True((await a.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
        var early = new List<string>();
        for (int i = 0; i < 3; i++) early.Add((await b.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        Assert.All(early, e => Assert.True(Number(e) >= 40, e));

        // a dies: the first segment is read again from the checkpoint, and b's successor waits for it again.
        await group.ReaderOfflineAsync("a", null);
        var again = new List<string>();
        for (int i = 0; i < 30; i++) again.Add((await b.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        Assert.Equal(Enumerable.Range(10, 30), again.Select(Number));
        var rest = new List<string>();
        await ReadUntilTimeoutAsync(b, rest);
        Assert.Equal(Enumerable.Range(40, 40), rest.Select(Number).Order());
        AssertKeyOrder(again.Concat(rest), 70);
    }

    [Fact]
    public async Task Truncating_at_a_cut_of_successors_removes_the_predecessors_and_moves_the_head()
    {
        string[] keys = [.. Enumerable.Range(0, 10).Select(i => "key" + i)];
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
            await WriteAsync(writer, keys, 0, 100);
            var early = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
            await WriteAsync(writer, keys, 100, 100);
            var cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await WriteAsync(writer, keys, 200, 50);

            await store.Streams.TruncateStreamAsync("s", "t", cut);
            var info = await store.Streams.GetStreamInfoAsync("s", "t");
            Assert.Equal(cut.Positions, info.Head.Positions);
            await store.Streams.TruncateStreamAsync("s", "t", early); // an older cut: nothing moves back
            Assert.Equal(cut.Positions, (await store.Streams.GetStreamInfoAsync("s", "t")).Head.Positions);

            var events = await store.ReadAllAsync("s", "t", 50);
            Assert.Equal(Enumerable.Range(200, 50).Select(i => Event(keys[i % 10], i)).Order(), events.Select(e => e.Event!).Order());
            var ranges = new List<SegmentRange>();
            await foreach (var r in store.Batch.ListSegmentsAsync("s", "t")) ranges.Add(r);
            Assert.Equal([Id(1, 1), Id(1, 2)], ranges.Select(r => r.SegmentId));
            var fromOld = ReaderGroupConfig.ForStream("s", "t", early);
            await store.ReaderGroups.CreateReaderGroupAsync("s", "old", fromOld);
            await using var reader = store.CreateReader("r", "s", "old", Serializers.Utf8);
            await Assert.ThrowsAsync<TruncatedDataException>(async () => await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5)));
        }
        await using (var store = await _dir.OpenAsync())
        {
            var info = await store.Streams.GetStreamInfoAsync("s", "t");
            Assert.Equal([Id(1, 1), Id(1, 2)], info.Head.Positions.Keys.Order());
            Assert.Equal(50, (await store.ReadAllAsync("s", "t", 50)).Count);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Segments_wholly_before_the_head_are_forgotten_and_groups_positioned_in_them_read_from_the_head(bool fromCheckpoint)
    {
        string[] keys = [.. Enumerable.Range(0, 10).Select(i => "key" + i)];
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
            await WriteAsync(writer, keys, 0, 100);
            await using (var reader = store.CreateReader("r", "s", "g", Serializers.Utf8))
                for (int i = 0; i < 10; i++) Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
            await store.Streams.ScaleStreamAsync("s", "t", [Id(1, 2)], [new KeyRange(0.5, 0.75), new KeyRange(0.75, 1)]);
            await WriteAsync(writer, keys, 100, 100);
            var cut = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await store.Streams.TruncateStreamAsync("s", "t", cut);
            await WriteAsync(writer, keys, 200, 50);

            var stream = store.Runtime.Controller.GetStream("s", "t");
            Assert.False(stream.TryGetSegment(Id(0, 0), out _));
            Assert.False(stream.TryGetSegment(Id(1, 2), out _));
            Assert.Equal([Id(1, 1), Id(2, 3), Id(2, 4)], stream.AllSegments.Select(x => x.SegmentId).Order());
            lock (store.Runtime.Container.Lock) Assert.Equal(3, store.Runtime.Container.AllSegments.Count());
        }
        if (!fromCheckpoint) _dir.ForgetCheckpoints();
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal([Id(1, 1), Id(2, 3), Id(2, 4)], store.Runtime.Controller.GetStream("s", "t").AllSegments.Select(x => x.SegmentId).Order());
            // The group's snapshot names the forgotten first segment: its reader finds that data truncated, once per head
            // segment, and reads on from the head.
            await using (var reader = store.CreateReader("r", "s", "g", Serializers.Utf8))
            {
                var events = new List<string>();
                int truncated = 0;
                while (events.Count < 50)
                {
                    try
                    {
                        var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
                        Assert.True(e.HasEvent, $"{events.Count} events of 50");
                        events.Add(e.Event!);
                    }
                    catch (TruncatedDataException)
                    {
                        truncated++;
                    }
                }
                Assert.Equal(Enumerable.Range(200, 50).Select(i => Event(keys[i % 10], i)).Order(), events.Order());
                Assert.InRange(truncated, 1, 3);
            }
            await store.Streams.ScaleStreamAsync("s", "t", [Id(1, 1), Id(2, 3)], [new KeyRange(0, 0.75)]);
            Assert.Equal([Id(3, 5), Id(2, 4)], (await ActiveAsync(store)).Select(a => a.Id));
        }
    }

    [Fact]
    public async Task A_group_stream_cut_across_epochs_is_a_valid_cut_to_truncate_at()
    {
        string[] keys = [.. Enumerable.Range(0, 16).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 50);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.25), new KeyRange(0.25, 0.5)]);
        await WriteAsync(writer, keys, 50, 50);
        var read = new List<string>();
        await using (var reader = store.CreateReader("r", "s", "g", Serializers.Utf8))
            for (int i = 0; i < 70; i++) read.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);

        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var cut = await group.GetStreamCutAsync("s", "t");
        await store.Streams.TruncateStreamAsync("s", "t", cut);
        var rest = await store.ReadSegmentsAsync("s", "t");
        Assert.Equal(30, rest.Count);
        Assert.Empty(rest.Intersect(read));
    }

    [Fact]
    public async Task Deleting_a_scaled_stream_removes_every_epoch_and_the_name_can_be_used_again()
    {
        string[] keys = [.. Enumerable.Range(0, 8).Select(i => "key" + i)];
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { Tier1MaxBytes = 1 << 20 });
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8))
        {
            await WriteAsync(writer, keys, 0, 40);
            await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
            await WriteAsync(writer, keys, 40, 40);
        }
        await store.Streams.SealStreamAsync("s", "t");
        Assert.True(await store.Streams.DeleteStreamAsync("s", "t"));
        lock (store.Runtime.Container.Lock) Assert.Empty(store.Runtime.Container.AllSegments);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => store.Streams.ScaleStreamAsync("s", "t", [Id(1, 1)], [new KeyRange(0, 0.5)]));

        Assert.True(await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) }));
        Assert.Equal([(Id(0, 0), new KeyRange(0, 1))], await ActiveAsync(store));
        Assert.Empty(await store.ReadSegmentsAsync("s", "t"));
    }

    [Fact]
    public async Task The_batch_client_lists_every_segment_between_two_cuts_of_different_epochs()
    {
        string[] keys = [.. Enumerable.Range(0, 10).Select(i => "key" + i)];
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
        await WriteAsync(writer, keys, 0, 100);
        var from = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(writer, keys, 100, 100);
        await store.Streams.ScaleStreamAsync("s", "t", [Id(0, 0)], [new KeyRange(0, 0.5), new KeyRange(0.5, 1)]);
        await WriteAsync(writer, keys, 200, 100);
        var to = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(writer, keys, 300, 100);

        var ranges = new List<SegmentRange>();
        await foreach (var r in store.Batch.ListSegmentsAsync("s", "t", from, to)) ranges.Add(r);
        Assert.Equal([Id(0, 0), Id(1, 1), Id(1, 2)], ranges.Select(r => r.SegmentId));
        Assert.Equal(from.Positions[Id(0, 0)], ranges[0].StartOffset);
        Assert.Equal(to.Positions[Id(1, 1)], ranges[1].EndOffset);
        Assert.Equal(0, ranges[1].StartOffset);
        Assert.Equal(200, ranges.Sum(CountEventsOf));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in store.Batch.ListSegmentsAsync("s", "t", to, from)) { }
        });

        int CountEventsOf(SegmentRange r) => CountEvents(store, r);
    }

    [Fact]
    public async Task UpdateStream_rescales_to_a_new_fixed_count_or_minimum_and_keeps_it_after_reopen()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
            await writer.WriteEventAsync("k", "before");
            await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(3) });
            Assert.Equal([Id(1, 1), Id(1, 2), Id(1, 3)], (await ActiveAsync(store)).Select(a => a.Id));
            await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.ByEventRate(100, 2, 2) });
            Assert.Equal(3, (await ActiveAsync(store)).Count); // at least the minimum: nothing to do
            await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.ByEventRate(100, 2, 4) });
            Assert.Equal(4, (await ActiveAsync(store)).Count);
            await writer.WriteEventAsync("k", "after");
            await store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) }); // and back
            await writer.WriteEventAsync("k", "fixed again");
        }
        _dir.ForgetCheckpoints();
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal([(Id(3, 8), new KeyRange(0, 0.5)), (Id(3, 9), new KeyRange(0.5, 1))], await ActiveAsync(store));
            Assert.Equal(ScalingPolicy.Fixed(2), store.Runtime.Controller.GetStream("s", "t").Config.ScalingPolicy);
            Assert.Equal(["before", "after", "fixed again"], (await store.ReadAllAsync("s", "t", 3)).Select(e => e.Event!));
        }
    }
}
