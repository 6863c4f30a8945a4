using System.Collections.Concurrent;
using System.Globalization;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Readers;

public sealed class ReaderGroupTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task WriteAsync(IStreamStore store, string stream, int from, int count, int keys = 32)
    {
        await using var writer = store.CreateEventWriter("s", stream, Serializers.Utf8);
        var writes = new List<Task>();
        for (int i = from; i < from + count; i++) writes.Add(writer.WriteEventAsync($"k{i % keys}", $"{i % keys}:{i}"));
        await Task.WhenAll(writes);
    }

    private static (int Key, int Number) Parse(string e)
    {
        var parts = e.Split(':');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Reads until a read times out; checks per-key order for this reader.</summary>
    private static async Task<List<string>> DrainAsync(IEventStreamReader<string> reader, TimeSpan idle)
    {
        var events = new List<string>();
        var last = new Dictionary<int, int>();
        while (true)
        {
            var read = await reader.ReadNextEventAsync(idle);
            if (read.IsCheckpoint) continue;
            if (!read.HasEvent) return events;
            var (key, number) = Parse(read.Event!);
            Assert.True(!last.TryGetValue(key, out int previous) || previous < number, $"key {key}: {number} after {previous}");
            last[key] = number;
            events.Add(read.Event!);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Several_readers_share_eight_segments_and_read_every_event_exactly_once(int readers)
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 8);
        await WriteAsync(store, "t", 0, 2000);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));

        var all = new ConcurrentBag<string>();
        var readerList = Enumerable.Range(0, readers).Select(r => store.CreateReader($"r{r}", "s", "g", Serializers.Utf8)).ToList();
        foreach (var reader in readerList)
        {
            var first = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(50)); // all join; later ones may get nothing yet
            if (first.HasEvent) all.Add(first.Event!);
        }
        var perReader = await Task.WhenAll(readerList.Select(reader => Task.Run(async () =>
        {
            var events = await DrainAsync(reader, TimeSpan.FromMilliseconds(500));
            foreach (var e in events) all.Add(e);
            await reader.DisposeAsync();
            return events.Count;
        })));

        Assert.Equal(2000, all.Count);
        Assert.Equal(2000, all.Distinct().Count());
        Assert.All(perReader, n => Assert.True(n > 0, "every reader got a share"));
    }

    [Fact]
    public async Task Readers_joining_and_leaving_mid_read_lose_and_duplicate_nothing()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 8);
        await WriteAsync(store, "t", 0, 1200);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var seen = new List<string>();

        await using (var first = store.CreateReader("a", "s", "g", Serializers.Utf8))
        {
            for (int i = 0; i < 300; i++) seen.Add((await first.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
            var second = store.CreateReader("b", "s", "g", Serializers.Utf8);
            for (int i = 0; i < 200; i++)
            {
                var a = await first.ReadNextEventAsync(TimeSpan.FromMilliseconds(100));
                if (a.HasEvent) seen.Add(a.Event!);
                var b = await second.ReadNextEventAsync(TimeSpan.FromMilliseconds(100));
                if (b.HasEvent) seen.Add(b.Event!);
            }
            await second.DisposeAsync(); // leaves at its position
            seen.AddRange(await DrainAsync(first, TimeSpan.FromMilliseconds(300)));
        }

        Assert.Equal(1200, seen.Count);
        Assert.Equal(1200, seen.Distinct().Count());
    }

    [Fact]
    public async Task A_checkpoint_is_returned_by_every_reader_and_reset_to_it_rereads_exactly_what_followed()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 4);
        await WriteAsync(store, "t", 0, 400);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var before = new List<string>();
        var after = new List<string>();
        Checkpoint checkpoint;
        await using (var r1 = store.CreateReader("r1", "s", "g", Serializers.Utf8))
        await using (var r2 = store.CreateReader("r2", "s", "g", Serializers.Utf8))
        {
            for (int i = 0; i < 50; i++)
            {
                foreach (var r in new[] { r1, r2 })
                {
                    var e = await r.ReadNextEventAsync(TimeSpan.FromMilliseconds(200));
                    if (e.HasEvent) before.Add(e.Event!);
                }
            }
            var pending = group.InitiateCheckpointAsync("cp-1");
            var passed = new HashSet<string>();
            while (passed.Count < 2)
            {
                foreach (var r in new[] { r1, r2 })
                {
                    if (passed.Contains(r.ReaderId)) continue;
                    var e = await r.ReadNextEventAsync(TimeSpan.FromMilliseconds(200));
                    if (e.IsCheckpoint)
                    {
                        Assert.Equal("cp-1", e.CheckpointName);
                        Assert.False(e.HasEvent);
                        passed.Add(r.ReaderId);
                    }
                    else if (e.HasEvent)
                    {
                        before.Add(e.Event!);
                    }
                }
            }
            checkpoint = await pending.WaitAsync(TimeSpan.FromSeconds(10));
            after.AddRange(await DrainAsync(r1, TimeSpan.FromMilliseconds(300)));
            after.AddRange(await DrainAsync(r2, TimeSpan.FromMilliseconds(300)));
        }
        Assert.Equal("cp-1", checkpoint.Name);
        Assert.Equal(400, before.Count + after.Count);
        Assert.Equal(400, before.Concat(after).Distinct().Count());

        await group.ResetAsync(ReaderGroupConfig.FromCheckpoint(checkpoint));
        await using var again = store.CreateReader("r3", "s", "g", Serializers.Utf8);
        var reread = await DrainAsync(again, TimeSpan.FromMilliseconds(300));

        Assert.Equal(after.Order(), reread.Order());
    }

    [Fact]
    public async Task Offline_without_a_position_redelivers_exactly_the_events_after_the_last_checkpoint()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 100);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var crashed = store.CreateReader("crashed", "s", "g", Serializers.Utf8);
        var beforeCheckpoint = new List<string>();
        for (int i = 0; i < 30; i++) beforeCheckpoint.Add((await crashed.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        var pending = group.InitiateCheckpointAsync("cp");
        Assert.True((await crashed.ReadNextEventAsync(TimeSpan.FromSeconds(5))).IsCheckpoint);
        await pending;
        var afterCheckpoint = new List<string>();
        for (int i = 0; i < 20; i++) afterCheckpoint.Add((await crashed.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);

        await group.ReaderOfflineAsync("crashed", null);

        await Assert.ThrowsAsync<ReinitializationRequiredException>(() => crashed.ReadNextEventAsync(TimeSpan.Zero).AsTask());
        await using var successor = store.CreateReader("successor", "s", "g", Serializers.Utf8);
        var redelivered = await DrainAsync(successor, TimeSpan.FromMilliseconds(300));
        Assert.Equal(70, redelivered.Count);
        Assert.Empty(redelivered.Intersect(beforeCheckpoint));
        Assert.Subset(redelivered.ToHashSet(), afterCheckpoint.ToHashSet());
    }

    /// <summary>
    /// Checkpoints initiated while one is under way start and complete in the order they were initiated, as in Pravega.
    /// Before, the waiting ones raced when the first completed, so a later one could complete before an earlier one,
    /// and a reader declared offline without a position was rewound to the earlier (now last completed) checkpoint
    /// although a later one had completed: it redelivered events the later checkpoint covered (found by
    /// ReaderGroupProperties under load).
    /// </summary>
    [Fact]
    public async Task Checkpoints_queued_behind_one_under_way_complete_in_the_order_they_were_initiated()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 40);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
        var order = new List<string>();
        var initiated = new List<Task<Checkpoint>>();
        for (int i = 0; i < 6; i++)
        {
            string name = $"cp-{i}";
            initiated.Add(group.InitiateCheckpointAsync(name).ContinueWith(t =>
            {
                lock (order) order.Add(t.Result.Name);
                return t.Result;
            }, TaskScheduler.Default));
        }
        async Task<List<string>> PassCheckpointsAsync(int count)
        {
            var names = new List<string>();
            while (names.Count < count)
            {
                var read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
                if (read.IsCheckpoint) names.Add(read.CheckpointName!);
                else Assert.True(read.HasEvent, "the reader ran dry before passing every checkpoint");
            }
            return names;
        }
        var seen = await PassCheckpointsAsync(6);
        await Task.WhenAll(initiated);
        string[] expected = ["cp-0", "cp-1", "cp-2", "cp-3", "cp-4", "cp-5"];
        Assert.Equal(expected, seen);
        Assert.Equal(expected, order);

        // Cancelled while queued: it never starts, and the next one after it still does.
        var first = group.InitiateCheckpointAsync("x-0");
        using var cancel = new CancellationTokenSource();
        var dropped = group.InitiateCheckpointAsync("x-1", cancel.Token);
        var third = group.InitiateCheckpointAsync("x-2");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        var names = await PassCheckpointsAsync(2);
        await Task.WhenAll(first, third);
        Assert.Equal(["x-0", "x-2"], names);
    }

    [Fact]
    public async Task Offline_with_a_position_redelivers_nothing()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 60);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var first = store.CreateReader("first", "s", "g", Serializers.Utf8);
        var read = new List<string>();
        EventRead<string> last = null!;
        for (int i = 0; i < 25; i++) read.Add((last = await first.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);

        await group.ReaderOfflineAsync("first", Position.FromBase64(last.Position!.ToBase64()));

        await using var second = store.CreateReader("second", "s", "g", Serializers.Utf8);
        read.AddRange(await DrainAsync(second, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(60, read.Count);
        Assert.Equal(60, read.Distinct().Count());
    }

    [Fact]
    public async Task Start_and_end_cuts_bound_the_read_which_ends_with_end_of_stream()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 3);
        await WriteAsync(store, "t", 0, 50);
        var start = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        await WriteAsync(store, "t", 50, 40);
        var end = StreamCut.FromBase64((await store.Streams.GetStreamInfoAsync("s", "t")).Tail.ToBase64());
        await WriteAsync(store, "t", 90, 30);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t", start, end));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);

        var events = new List<int>();
        EventRead<string> read;
        while ((read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent) events.Add(Parse(read.Event!).Number);

        Assert.True(read.IsEndOfStream);
        Assert.Equal(Enumerable.Range(50, 40), events.Order());
    }

    [Fact]
    public async Task Group_positions_survive_reopen_and_a_returning_reader_continues()
    {
        var seen = new List<string>();
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 4);
            await WriteAsync(store, "t", 0, 200);
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            for (int i = 0; i < 80; i++) seen.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
        }
        await using (var store = await _dir.OpenAsync())
        {
            var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
            Assert.Empty(await group.GetOnlineReadersAsync());
            var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            for (int i = 0; i < 50; i++) seen.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);
            // no reader dispose: closing the store keeps the group's positions too
        }
        await using (var store = await _dir.OpenAsync())
        {
            await using var reader = store.CreateReader("other", "s", "g", Serializers.Utf8);
            seen.AddRange(await DrainAsync(reader, TimeSpan.FromMilliseconds(300)));
        }

        Assert.Equal(200, seen.Count);
        Assert.Equal(200, seen.Distinct().Count());
    }

    [Fact]
    public async Task Unread_bytes_stream_cut_and_online_readers_report_the_group()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 20);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        long total = await store.TailLengthAsync("s", "t");
        Assert.Equal(total, await group.GetUnreadBytesAsync());

        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var read = await DrainAsync(reader, TimeSpan.FromMilliseconds(200));

        Assert.Equal(20, read.Count);
        Assert.Equal(0, await group.GetUnreadBytesAsync());
        Assert.Equal((await store.Streams.GetStreamInfoAsync("s", "t")).Tail, await group.GetStreamCutAsync("s", "t"));
        Assert.Equal(["r"], await group.GetOnlineReadersAsync());
    }

    [Fact]
    public async Task A_reset_makes_existing_readers_reinitialize()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, 10);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);

        await group.ResetAsync(ReaderGroupConfig.ForStream("s", "t"));

        await Assert.ThrowsAsync<ReinitializationRequiredException>(() => reader.ReadNextEventAsync(TimeSpan.Zero).AsTask());
        await using var fresh = store.CreateReader("r", "s", "g", Serializers.Utf8);
        Assert.Equal(10, (await DrainAsync(fresh, TimeSpan.FromMilliseconds(200))).Count);
    }

    [Fact]
    public async Task Automatic_checkpoints_are_silent_and_offline_without_position_resumes_from_them()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var store = await StreamStore.OpenAsync(_dir.Options() with { TimeProvider = time });
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 60);
        var config = ReaderGroupConfig.ForStream("s", "t") with { AutomaticCheckpointInterval = TimeSpan.FromSeconds(10) };
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", config);
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        var beforeCheckpoint = new List<string>();
        for (int i = 0; i < 20; i++) beforeCheckpoint.Add((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).Event!);

        time.Advance(TimeSpan.FromSeconds(10));
        var afterCheckpoint = new List<string>();
        for (int i = 0; i < 15; i++)
        {
            var read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5));
            Assert.True(read.HasEvent, "automatic checkpoints are not returned to the application");
            afterCheckpoint.Add(read.Event!);
        }
        await group.ReaderOfflineAsync("r", null);
        await reader.DisposeAsync();

        await using var successor = store.CreateReader("r2", "s", "g", Serializers.Utf8);
        var redelivered = await DrainAsync(successor, TimeSpan.FromMilliseconds(300));
        Assert.Equal(40, redelivered.Count);
        Assert.Empty(redelivered.Intersect(beforeCheckpoint));
    }

    [Fact]
    public async Task A_reader_behind_a_truncation_is_told_once_and_goes_on_from_the_head()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 1);
        await WriteAsync(store, "t", 0, 30);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
        for (int i = 0; i < 5; i++) Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
        var info = await store.Streams.GetStreamInfoAsync("s", "t");
        // Truncate after the 20th event: a second group's stream cut gives its offset.
        await store.ReaderGroups.CreateReaderGroupAsync("s", "probe", ReaderGroupConfig.ForStream("s", "t"));
        await using var probe = store.CreateReader("p", "s", "probe", Serializers.Utf8);
        for (int i = 0; i < 20; i++) Assert.True((await probe.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
        var cut = await (await store.ReaderGroups.GetReaderGroupAsync("s", "probe")).GetStreamCutAsync("s", "t");
        await store.Streams.TruncateStreamAsync("s", "t", cut);

        await Assert.ThrowsAsync<TruncatedDataException>(() => reader.ReadNextEventAsync(TimeSpan.FromSeconds(5)).AsTask());
        var rest = await DrainAsync(reader, TimeSpan.FromMilliseconds(200));

        Assert.Equal(Enumerable.Range(20, 10), rest.Select(e => Parse(e).Number));
        Assert.NotEqual(info.Head, (await store.Streams.GetStreamInfoAsync("s", "t")).Head);
    }

    [Fact]
    public async Task A_checkpoint_and_bounded_groups_work_across_reopen()
    {
        Checkpoint checkpoint;
        var afterCheckpoint = new List<string>();
        StreamCut end;
        await using (var store = await _dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 3);
            await WriteAsync(store, "t", 0, 90);
            end = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
            await WriteAsync(store, "t", 90, 10);
            await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
            await store.ReaderGroups.CreateReaderGroupAsync("s", "bounded", ReaderGroupConfig.ForStream("s", "t", end: end));
            var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
            await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            for (int i = 0; i < 40; i++) Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent);
            var pending = group.InitiateCheckpointAsync("before-reopen");
            Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).IsCheckpoint);
            checkpoint = await pending;
            afterCheckpoint.AddRange(await DrainAsync(reader, TimeSpan.FromMilliseconds(200)));
        }

        await using (var store = await _dir.OpenAsync())
        {
            var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
            await group.ResetAsync(ReaderGroupConfig.FromCheckpoint(checkpoint));
            await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);
            Assert.Equal(afterCheckpoint.Order(), (await DrainAsync(reader, TimeSpan.FromMilliseconds(300))).Order());

            await using var bounded = store.CreateReader("b", "s", "bounded", Serializers.Utf8);
            var events = new List<int>();
            EventRead<string> read;
            while ((read = await bounded.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent) events.Add(Parse(read.Event!).Number);
            Assert.True(read.IsEndOfStream);
            Assert.Equal(Enumerable.Range(0, 90), events.Order());
        }
    }

    [Fact]
    public async Task A_created_reader_is_online_at_once_and_offline_when_disposed()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");

        var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        await using var b = store.CreateReader("b", "s", "g", Serializers.Utf8);
        Assert.Equal(["a", "b"], await group.GetOnlineReadersAsync());

        await a.DisposeAsync();
        Assert.Equal(["b"], await group.GetOnlineReadersAsync());
    }

    [Fact]
    public async Task Invalid_start_or_end_cuts_are_rejected_when_the_group_is_created()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await WriteAsync(store, "t", 0, 20);
        var tail = (await store.Streams.GetStreamInfoAsync("s", "t")).Tail;
        var head = (await store.Streams.GetStreamInfoAsync("s", "t")).Head;
        var missingSegment = new StreamCut("s", "t", new Dictionary<long, long> { [0] = 0 });
        var unknownSegment = new StreamCut("s", "t", new Dictionary<long, long> { [0] = 0, [1] = 0, [7] = 0 });

        foreach (var config in new[]
        {
            ReaderGroupConfig.ForStream("s", "t", start: missingSegment),
            ReaderGroupConfig.ForStream("s", "t", end: unknownSegment),
            ReaderGroupConfig.ForStream("s", "t", start: tail, end: head),
        })
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => store.ReaderGroups.CreateReaderGroupAsync("s", "g", config));
            Assert.Equal("config", e.ParamName);
        }
        Assert.True(await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t", start: head, end: tail)));
    }

    [Fact]
    public async Task A_waiting_reader_that_takes_over_a_segment_is_woken_by_data_on_it()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "t", segments: 2);
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        var a = store.CreateReader("a", "s", "g", Serializers.Utf8);
        var b = store.CreateReader("b", "s", "g", Serializers.Utf8);
        await b.ReadNextEventAsync(TimeSpan.Zero);
        var idle = await a.ReadNextEventAsync(TimeSpan.Zero);
        long ownedByA = Assert.Single(idle.Position!.OwnedSegments).Key.SegmentId;
        string keyForB = Enumerable.Range(0, 1000).Select(i => $"k{i}").First(k => (Controller.KeySpace.Point(k) < 0.5 ? 0 : 1) != ownedByA);

        var waiting = a.ReadNextEventAsync(TimeSpan.FromSeconds(60)).AsTask();
        await b.DisposeAsync(); // its segment becomes free: a takes it over while it waits
        await Task.Delay(100);
        await using (var writer = store.CreateEventWriter("s", "t", Serializers.Utf8)) await writer.WriteEventAsync(keyForB, "for-b");

        var read = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("for-b", read.Event);
        await a.DisposeAsync();
    }

    [Fact]
    public async Task A_group_over_two_streams_reads_both_and_ends_when_both_are_sealed_and_read()
    {
        await using var store = await _dir.OpenAsync();
        await store.CreateStreamAsync("s", "a", segments: 2);
        await store.CreateStreamAsync("s", "b", segments: 3);
        await WriteAsync(store, "a", 0, 50);
        await WriteAsync(store, "b", 50, 70);
        await store.Streams.SealStreamAsync("s", "a");
        await store.Streams.SealStreamAsync("s", "b");
        var config = new ReaderGroupConfig { Streams = [new StreamSelection("s", "a"), new StreamSelection("s", "b")] };
        await store.ReaderGroups.CreateReaderGroupAsync("s", "g", config);
        await using var reader = store.CreateReader("r", "s", "g", Serializers.Utf8);

        var numbers = new List<int>();
        EventRead<string> read;
        while ((read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent) numbers.Add(Parse(read.Event!).Number);

        Assert.True(read.IsEndOfStream);
        Assert.Equal(Enumerable.Range(0, 120), numbers.Order());
        var group = await store.ReaderGroups.GetReaderGroupAsync("s", "g");
        Assert.Equal(0, await group.GetUnreadBytesAsync());
    }
}
