using System.Buffers;
using System.Text;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.SegmentStore;

/// <summary>
/// <see cref="SegmentReader"/>, the one read of "the event at this offset" behind readers, the batch client and
/// FetchEventAsync: each answer it gives, the read guard that store disposal waits on, and no allocation per read.
/// </summary>
public sealed class SegmentReaderTests : IAsyncLifetime
{
    private const string Owner = "test-owner";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pravega-segment-reader-tests", Guid.NewGuid().ToString("N"));
    private SegmentContainer _container = null!;
    private SegmentReader _reader = null!;
    private Segment _segment = null!;

    public Task InitializeAsync()
    {
        _container = SegmentContainer.Open(new WalOptions { Directories = [Path.Combine(_root, "tier1-0")], FileSize = 1 << 20, PreZeroFiles = false },
                                           new NoMetadata());
        _reader = new SegmentReader(_container, Owner);
        lock (_container.Lock) _segment = _container.CreateSegment(1, 0, "scope", "stream");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _reader.CloseAsync();
        await _container.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Each_answer_an_offset_can_get_event_boundary_tail_end_and_truncated()
    {
        long second = await AppendDurablyAsync("first");
        long end = await AppendDurablyAsync("second!");

        var read = _reader.ReadEvent(_segment, 0, Utf8);
        Assert.Equal(SegmentReadStatus.Event, read.Status);
        Assert.Equal("first", read.Event);
        Assert.Equal(0, read.Offset);
        Assert.Equal(SegmentContainer.EventHeaderSize + 5, read.Length);
        Assert.Equal(second, read.NextOffset);

        read = _reader.ReadEvent(_segment, second, Utf8);
        Assert.Equal(("second!", end), (read.Event, read.NextOffset));

        Assert.Equal(SegmentReadStatus.NotAtEventBoundary, _reader.ReadEvent(_segment, second + 1, Utf8).Status);
        Assert.Equal(SegmentReadStatus.NotYetAvailable, _reader.ReadEvent(_segment, end, Utf8).Status);

        lock (_container.Lock) _container.SealSegment(_segment, lsn: 0); // lsn 0: durable at once, as on replay
        Assert.Equal(SegmentReadStatus.EndOfSegment, _reader.ReadEvent(_segment, end, Utf8).Status);

        lock (_container.Lock) _container.TruncateSegment(_segment, second, lsn: 0);
        read = _reader.ReadEvent(_segment, 0, Utf8);
        Assert.Equal(SegmentReadStatus.Truncated, read.Status);
        Assert.Equal(second, read.StartOffset);
        Assert.Null(read.Event);
        Assert.Equal("second!", _reader.ReadEvent(_segment, second, Utf8).Event);
    }

    [Fact]
    public async Task Closing_waits_for_a_read_in_its_serializer_and_then_refuses_reads()
    {
        await AppendDurablyAsync("x");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocking = new BlockingSerializer(entered, release);
        var read = Task.Run(() => _reader.ReadEvent(_segment, 0, blocking).Event);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));

        var close = _reader.CloseAsync();
        await Task.Delay(50);
        Assert.False(close.IsCompleted); // the serializer still uses the log's memory
        release.Set();
        await close.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await read);

        var refused = Assert.Throws<ObjectDisposedException>(() => _reader.ReadEvent(_segment, 0, Utf8));
        Assert.Equal(Owner, refused.ObjectName);
        Assert.Equal(SegmentReadStatus.NotYetAvailable, _reader.ReadEvent(_segment, _segment.Length, Utf8).Status); // no log memory needed
    }

    [Fact]
    public async Task A_read_allocates_nothing_but_what_the_serializer_does()
    {
        long end = 0;
        for (int i = 0; i < 10; i++) end = await AppendDurablyAsync("event " + i);
        var lengths = new LengthSerializer();
        long total = ReadAll(lengths, end); // warm up (JIT)

        // The runtime itself may allocate on this thread once while it tiers up or replaces a method on the stack
        // (timing-dependent, seen on slow machines); an allocation per read shows in every round, so the best of a
        // few rounds of 100 reads must be zero.
        long least = long.MaxValue;
        for (int round = 0; round < 5 && least > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) total += ReadAll(lengths, end);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
        Assert.True(total > 0);
    }

    private long ReadAll(LengthSerializer serializer, long end)
    {
        long sum = 0;
        for (long offset = 0; offset < end;)
        {
            var read = _reader.ReadEvent(_segment, offset, serializer);
            sum += read.Event;
            offset = read.NextOffset;
        }
        return sum;
    }

    /// <summary>Appends an event and waits until it is durable; returns the segment's length after it.</summary>
    private async Task<long> AppendDurablyAsync(string evt)
    {
        lock (_container.Lock) _container.AppendEvent(_segment, null, SegmentContainer.NoEventNumber, Encoding.UTF8.GetBytes(evt), out _);
        long length = _segment.Length;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_segment.DurableLength < length && DateTime.UtcNow < deadline) await Task.Delay(1);
        Assert.Equal(length, _segment.DurableLength);
        return length;
    }

    private static ISerializer<string> Utf8 => Serializers.Utf8;

    private sealed class NoMetadata : IMetadataLog
    {
        public void Apply(ReadOnlySpan<byte> record, SegmentContainer container)
        {
        }

        public void WriteCheckpoint(List<byte[]> records)
        {
        }
    }

    private sealed class LengthSerializer : ISerializer<long>
    {
        public void Serialize(long value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public long Deserialize(ReadOnlySequence<byte> bytes) => bytes.Length;
    }

    private sealed class BlockingSerializer(ManualResetEventSlim entered, ManualResetEventSlim release) : ISerializer<int>
    {
        public void Serialize(int value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public int Deserialize(ReadOnlySequence<byte> bytes)
        {
            entered.Set();
            release.Wait();
            return (int)bytes.Length;
        }
    }
}
