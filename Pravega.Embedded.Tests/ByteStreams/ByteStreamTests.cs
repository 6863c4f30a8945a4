using System.Security.Cryptography;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.ByteStreams;

/// <summary>
/// Byte streams through the public API: large data in odd-sized writes read back equal (also after a reopen and from
/// Tier-2), a reader following a writer live, flush units (nothing visible or kept before its flush), seek, truncation
/// (inside a chunk too, across a checkpoint), seal, and what is refused.
/// </summary>
public sealed class ByteStreamTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StreamStoreOptions Options(bool tier2 = true) => _dir.Options(1 << 20) with
    {
        Tier2Directory = tier2 ? Path.Combine(_dir.Root, "tier2") : null,
        Tier1MaxBytes = 8 << 20,
    };

    private static async Task<StreamStore> OpenWithStreamAsync(StreamStoreOptions options)
    {
        var store = await StreamStore.OpenAsync(options);
        await store.Streams.CreateScopeAsync("s");
        await store.Streams.CreateStreamAsync("s", "b", new StreamConfiguration());
        return store;
    }

    /// <summary>Reads <paramref name="count"/> bytes from the reader's position, checking each against <see cref="ByteStreamData"/>.</summary>
    private static async Task ReadAndCheckAsync(ByteStreamReader reader, long count)
    {
        var buffer = new byte[300_001];
        long offset = reader.Position, end = offset + count;
        while (offset < end)
        {
            int n = await reader.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - offset)));
            Assert.True(n > 0, $"read returned 0 at {offset}, before {end}");
            Assert.Equal(-1, ByteStreamData.FirstWrong(buffer.AsSpan(0, n), offset));
            offset += n;
        }
        Assert.Equal(end, reader.Position);
    }

    /// <summary>SHA-256 of <paramref name="count"/> bytes from the reader's position, read in <paramref name="readSize"/> pieces.</summary>
    private static async Task<byte[]> HashAsync(ByteStreamReader reader, long count, int readSize = 1 << 20, bool synchronous = false)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[readSize];
        for (long left = count; left > 0;)
        {
            int want = (int)Math.Min(buffer.Length, left);
            int n = synchronous ? reader.Read(buffer, 0, want) : await reader.ReadAsync(buffer.AsMemory(0, want));
            Assert.True(n > 0);
            sha.AppendData(buffer, 0, n);
            left -= n;
        }
        return sha.GetHashAndReset();
    }

    [Fact]
    public async Task Sixty_four_MiB_in_odd_sized_writes_read_back_equal_after_a_reopen_and_from_tier2()
    {
        const long Total = 64L << 20;
        var random = new Random(42);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var store = await OpenWithStreamAsync(Options()))
        {
            await using var writer = store.CreateByteStreamWriter("s", "b");
            var chunk = new byte[250_000];
            long written = 0, sinceFlush = 0;
            while (written < Total)
            {
                int n = (int)Math.Min(Total - written, random.Next(1, chunk.Length) | 1);
                random.NextBytes(chunk.AsSpan(0, n));
                sha.AppendData(chunk, 0, n);
                if (random.Next(2) == 0) writer.Write(chunk, 0, n);
                else await writer.WriteAsync(chunk.AsMemory(0, n));
                written += n;
                sinceFlush += n;
                if (sinceFlush > 4 << 20)
                {
                    await writer.FlushAsync();
                    sinceFlush = 0;
                }
            }
        }
        var expected = sha.GetHashAndReset();

        await using (var store = await StreamStore.OpenAsync(Options()))
        {
            using var reader = store.CreateByteStreamReader("s", "b");
            Assert.Equal(Total, reader.Length);
            Assert.Equal(expected, await HashAsync(reader, Total));

            // Once most of it is in Tier-2 (and out of the WAL), a read from the start comes from there.
            var segment = store.Runtime.Controller.GetStream("s", "b").ActiveSegments[0].Data;
            for (int i = 0; i < 400 && segment.TieredLength < Total / 2; i++) await Task.Delay(50);
            Assert.True(segment.TieredLength >= Total / 2, $"only {segment.TieredLength} bytes were tiered");
            await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
            reader.Position = 0;
            Assert.Equal(expected, await HashAsync(reader, Total)); // large reads: straight from the chunks
            reader.Position = 0;
            Assert.Equal(expected, await HashAsync(reader, Total, readSize: 64 << 10, synchronous: true)); // small ones: through the block cache
        }
    }

    [Fact]
    public async Task A_reader_follows_a_writer_live_and_sees_each_flush()
    {
        const int Total = 8 << 20;
        await using var store = await OpenWithStreamAsync(Options());
        using var reader = store.CreateByteStreamReader("s", "b");
        var read = Task.Run(async () =>
        {
            await ReadAndCheckAsync(reader, Total);
            return reader.Position;
        });
        await using (var writer = store.CreateByteStreamWriter("s", "b"))
        {
            var random = new Random(7);
            var chunk = new byte[100_000];
            for (long offset = 0; offset < Total;)
            {
                int n = (int)Math.Min(Total - offset, random.Next(1, chunk.Length));
                ByteStreamData.Fill(chunk.AsSpan(0, n), offset);
                await writer.WriteAsync(chunk.AsMemory(0, n));
                offset += n;
                if (random.Next(3) == 0) await writer.FlushAsync();
            }
        }
        Assert.Equal(Total, await read.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Bytes_are_invisible_until_flushed_and_after_a_reopen_the_stream_ends_at_the_last_flush()
    {
        var options = Options(tier2: false) with { Tier1MaxBytes = 1L << 30 }; // units up to 64 MiB
        var first = new byte[100];
        ByteStreamData.Fill(first, 0);
        var store = await OpenWithStreamAsync(options);
        var writer = store.CreateByteStreamWriter("s", "b");
        using (var reader = store.CreateByteStreamReader("s", "b"))
        {
            await writer.WriteAsync(first);
            await writer.FlushAsync();
            var unflushed = new byte[3 << 20]; // several chunks: records in the log, not yet visible
            ByteStreamData.Fill(unflushed, 100);
            await writer.WriteAsync(unflushed);
            await store.Runtime.Container.Log.FlushAsync(); // the chunks are durable in the log, still invisible
            Assert.Equal(100, reader.Length);
            reader.Position = 100;
            using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadAsync(new byte[10], soon.Token).AsTask());
        }
        await store.DisposeAsync(); // the writer's open unit dies with the process that wrote it
        await writer.DisposeAsync(); // the store is gone: nothing to flush into

        await using (store = await StreamStore.OpenAsync(options))
        {
            using var reader = store.CreateByteStreamReader("s", "b");
            Assert.Equal(100, reader.Length);
            await using (var again = store.CreateByteStreamWriter("s", "b"))
            {
                var more = new byte[5000];
                ByteStreamData.Fill(more, 100);
                again.Write(more);
                again.Flush();
            }
            Assert.Equal(5100, reader.Length);
            await ReadAndCheckAsync(reader, 5100);
        }
    }

    [Fact]
    public async Task Bytes_not_flushed_for_a_quarter_of_the_tier1_bound_are_flushed_there()
    {
        var options = Options(tier2: false); // Tier1MaxBytes 8 MiB: units of at most 2 MiB
        await using var store = await OpenWithStreamAsync(options);
        await using var writer = store.CreateByteStreamWriter("s", "b");
        using var reader = store.CreateByteStreamReader("s", "b");
        var bytes = new byte[5 << 20];
        ByteStreamData.Fill(bytes, 0);
        await writer.WriteAsync(bytes);
        await store.Runtime.Container.Log.FlushAsync();
        Assert.InRange(reader.Length, 2 << 20, (4 << 20) + (1 << 20)); // flushed at the bound, the rest not yet
        await ReadAndCheckAsync(reader, reader.Length);
        await writer.FlushAsync();
        Assert.Equal(bytes.Length, reader.Length);
    }

    [Fact]
    public async Task Seek_truncate_and_seal_behave_as_a_stream_of_bytes()
    {
        var options = Options();
        await using (var store = await OpenWithStreamAsync(options))
        {
            await using var writer = store.CreateByteStreamWriter("s", "b");
            var bytes = new byte[10_000];
            ByteStreamData.Fill(bytes, 0);
            await writer.WriteAsync(bytes);
            await writer.FlushAsync();

            using var reader = store.CreateByteStreamReader("s", "b");
            Assert.True(reader.CanSeek && reader.CanRead && !reader.CanWrite);
            Assert.Equal(0, reader.HeadOffset);
            Assert.Equal(5000, reader.Seek(5000, SeekOrigin.Begin));
            await ReadAndCheckAsync(reader, 100);
            Assert.Equal(9990, reader.Seek(-10, SeekOrigin.End));
            await ReadAndCheckAsync(reader, 10);
            Assert.Equal(9000, reader.Seek(-1000, SeekOrigin.Current));
            Assert.Throws<IOException>(() => reader.Seek(-1, SeekOrigin.Begin));
            Assert.Throws<ArgumentOutOfRangeException>(() => reader.Position = -1);

            await writer.TruncateDataBeforeAsync(3333);
            Assert.Equal(3333, reader.HeadOffset);
            reader.Position = 1000;
            await Assert.ThrowsAsync<TruncatedDataException>(() => reader.ReadAsync(new byte[10]).AsTask());
            Assert.Throws<TruncatedDataException>(() => reader.Read(new byte[10], 0, 10));
            reader.Position = reader.HeadOffset;
            await ReadAndCheckAsync(reader, 10_000 - 3333);
            await writer.TruncateDataBeforeAsync(1000); // below the head: nothing changes
            Assert.Equal(3333, reader.HeadOffset);
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.TruncateDataBeforeAsync(10_001));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.TruncateDataBeforeAsync(-1));

            await writer.SealAsync();
            Assert.Equal(0, await reader.ReadAsync(new byte[10])); // at the end of a sealed stream
            reader.Position = 9995;
            Assert.Equal(5, reader.Read(new byte[10], 0, 10));
            Assert.Equal(0, reader.Read(new byte[10], 0, 10));
            Assert.Throws<StreamSealedException>(() => writer.Write(bytes, 0, 1));
            await Assert.ThrowsAsync<StreamSealedException>(() => writer.TruncateDataBeforeAsync(5000));
            await using var late = store.CreateByteStreamWriter("s", "b");
            await Assert.ThrowsAsync<StreamSealedException>(async () => await late.WriteAsync(bytes));
        }
        await using (var store = await StreamStore.OpenAsync(options))
        {
            using var reader = store.CreateByteStreamReader("s", "b");
            Assert.Equal(3333, reader.HeadOffset);
            Assert.Equal(10_000, reader.Length);
            var copy = new MemoryStream();
            await reader.CopyToAsync(copy); // ends: the stream is sealed
            Assert.Equal(10_000 - 3333, copy.Length);
            Assert.Equal(-1, ByteStreamData.FirstWrong(copy.ToArray(), 3333));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_truncation_inside_a_chunk_holds_across_a_checkpoint_and_a_reopen(bool tier2)
    {
        var options = Options(tier2);
        const int Total = 3 << 20;
        const long Cut = 1_500_001; // inside the second 1 MiB chunk
        await using (var store = await OpenWithStreamAsync(options))
        {
            await using var writer = store.CreateByteStreamWriter("s", "b");
            var bytes = new byte[Total];
            ByteStreamData.Fill(bytes, 0);
            writer.Write(bytes);
            await writer.FlushAsync();
            await writer.TruncateDataBeforeAsync(Cut);
            await store.Runtime.Container.CheckpointAsync(CancellationToken.None);
        }
        await using (var store = await StreamStore.OpenAsync(options))
        {
            using var reader = store.CreateByteStreamReader("s", "b");
            Assert.Equal(Cut, reader.HeadOffset);
            Assert.Equal(Cut, reader.Position);
            await ReadAndCheckAsync(reader, Total - Cut);
            await using var writer = store.CreateByteStreamWriter("s", "b");
            var more = new byte[1000];
            ByteStreamData.Fill(more, Total);
            await writer.WriteAsync(more);
            await writer.FlushAsync();
            await ReadAndCheckAsync(reader, 1000);
        }
    }

    [Fact]
    public async Task Disposing_the_writer_flushes_what_it_was_given()
    {
        await using var store = await OpenWithStreamAsync(Options());
        var bytes = new byte[123_457];
        ByteStreamData.Fill(bytes, 0);
        using (var writer = store.CreateByteStreamWriter("s", "b"))
        {
            writer.Write(bytes, 0, 1000);
            writer.WriteByte(bytes[1000]);
            writer.Write(bytes.AsSpan(1001));
        }
        using var reader = store.CreateByteStreamReader("s", "b");
        Assert.Equal(bytes.Length, reader.Length);
        await ReadAndCheckAsync(reader, bytes.Length);
    }

    [Fact]
    public async Task What_is_not_a_byte_stream_is_refused_clearly()
    {
        await using var store = await OpenWithStreamAsync(Options());
        await store.Streams.CreateStreamAsync("s", "four", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
        await store.Streams.CreateStreamAsync("s", "events", new StreamConfiguration());
        await using (var events = store.CreateEventWriter("s", "events", Serializers.Utf8)) await events.WriteEventAsync("k", "an event");

        Assert.Throws<ArgumentException>(() => store.CreateByteStreamWriter("s", "bad_name"));
        Assert.Throws<ArgumentException>(() => store.CreateByteStreamReader("bad_scope", "b"));
        await using (var w = store.CreateByteStreamWriter("nope", "b")) await Assert.ThrowsAsync<ScopeNotFoundException>(async () => await w.WriteAsync(new byte[1]));
        await using (var w = store.CreateByteStreamWriter("s", "nope")) await Assert.ThrowsAsync<StreamNotFoundException>(async () => await w.WriteAsync(new byte[1]));
        await using (var w = store.CreateByteStreamWriter("s", "four")) await Assert.ThrowsAsync<InvalidOperationException>(async () => await w.WriteAsync(new byte[1]));
        await using (var w = store.CreateByteStreamWriter("s", "events")) await Assert.ThrowsAsync<InvalidOperationException>(async () => await w.WriteAsync(new byte[1]));
        using (var r = store.CreateByteStreamReader("s", "events")) Assert.Throws<InvalidOperationException>(() => r.Length);
        using (var r = store.CreateByteStreamReader("s", "nope")) await Assert.ThrowsAsync<StreamNotFoundException>(() => r.ReadAsync(new byte[1]).AsTask());

        await using (var w = store.CreateByteStreamWriter("s", "b"))
        {
            await w.WriteAsync(new byte[10]);
            await w.FlushAsync();
            Assert.False(w.CanRead || w.CanSeek);
            Assert.Throws<NotSupportedException>(() => w.Length);
            Assert.Throws<NotSupportedException>(() => w.Seek(0, SeekOrigin.Begin));
        }
        await using (var events = store.CreateEventWriter("s", "b", Serializers.Utf8))
            await Assert.ThrowsAsync<InvalidOperationException>(() => events.WriteEventAsync("k", "not into a byte stream"));

        var disposed = store.CreateByteStreamWriter("s", "b");
        await disposed.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => disposed.Write(new byte[1], 0, 1));
        var closed = store.CreateByteStreamReader("s", "b");
        closed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => closed.Read(new byte[1], 0, 1));
    }

    [Fact]
    public async Task A_read_waiting_at_the_tail_is_cancelled_and_the_reader_goes_on()
    {
        await using var store = await OpenWithStreamAsync(Options());
        using var reader = store.CreateByteStreamReader("s", "b");
        using (var cts = new CancellationTokenSource())
        {
            var waiting = reader.ReadAsync(new byte[10], cts.Token).AsTask();
            await Task.Delay(50);
            Assert.False(waiting.IsCompleted);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        var next = reader.ReadAsync(new byte[10]).AsTask();
        await using (var writer = store.CreateByteStreamWriter("s", "b"))
        {
            var bytes = new byte[4];
            ByteStreamData.Fill(bytes, 0);
            await writer.WriteAsync(bytes);
        }
        Assert.Equal(4, await next.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
