using Pravega.Embedded.Tests.ByteStreams;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Byte streams against a power failure or crash at a seeded device change (the simulated device drops or tears what was
/// not synced): a writer appends in odd sizes with small WAL files and Tier-2 (so chunks span records, and checkpoints,
/// file drops and tiering run too), flushes at random points and truncates now and then. After the reopen the stream
/// ends exactly where a flush was called, at or after the last flush that returned, every byte is the one written, and
/// the head is at or after the last truncation that returned.
/// </summary>
public sealed class ByteStreamPowerLossTests
{
    private static readonly string[] Mirrors = ["/bs/tier1-0", "/bs/tier1-1", "/bs/tier1-2"];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 24)];

    private static StreamStoreOptions Options(SimulatedProcess process) => new()
    {
        Tier1Directories = Mirrors,
        Tier2Directory = "/bs/tier2",
        Tier1MaxBytes = 64 << 20, // flush units of up to 16 MiB: only the writer's flushes end them here
        Tier2ChunkSize = 128 << 10,
        RetentionCheckInterval = Timeout.InfiniteTimeSpan,
        WalFileSize = 64 << 10,
        Device = process,
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task A_byte_stream_is_a_flushed_prefix_after_a_failure_at_any_device_change(int seed)
    {
        var rng = new Random(seed);
        var device = new SimulatedDevice(new Random(seed * 7));
        var process = new SimulatedProcess(device);
        var ends = new HashSet<long> { 0 };
        long flushed = 0, truncated = 0, offset = 0;
        var store = await StreamStore.OpenAsync(Options(process));
        ByteStreamWriter? writer = null;
        try
        {
            await store.Streams.CreateScopeAsync("s");
            await store.Streams.CreateStreamAsync("s", "b", new StreamConfiguration());
            SimulatedFailure.Arm(device, process, rng, 50, 3000);
            writer = store.CreateByteStreamWriter("s", "b");
            var buffer = new byte[100_000];
            for (int step = 0; step < 2000; step++)
            {
                int n = rng.Next(1, buffer.Length);
                ByteStreamData.Fill(buffer.AsSpan(0, n), offset);
                await writer.WriteAsync(buffer.AsMemory(0, n));
                offset += n;
                if (rng.Next(3) != 0) continue;
                ends.Add(offset);
                await writer.FlushAsync();
                if (rng.Next(6) == 0)
                {
                    long cut = flushed + rng.NextInt64(offset - flushed + 1);
                    await writer.TruncateDataBeforeAsync(cut);
                    truncated = Math.Max(truncated, cut);
                }
                flushed = offset;
            }
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException || e is ObjectDisposedException)
        {
            // the process died
        }
        finally
        {
            device.Mutated = null;
            await DisposeQuietlyAsync(writer);
            await DisposeQuietlyAsync(store);
        }

        await using var reopened = await StreamStore.OpenAsync(Options(new SimulatedProcess(device)));
        using var reader = reopened.CreateByteStreamReader("s", "b");
        long length = reader.Length;
        Assert.True(ends.Contains(length), $"seed {seed}: the stream ends at {length}, where no flush was called");
        Assert.True(length >= flushed, $"seed {seed}: the stream ends at {length}, before the flush that returned at {flushed}");
        Assert.True(reader.HeadOffset >= truncated && reader.HeadOffset <= length, $"seed {seed}: the head is {reader.HeadOffset}, a truncation returned at {truncated}");
        var read = new byte[64 << 10];
        for (long at = reader.HeadOffset; at < length;)
        {
            int n = await reader.ReadAsync(read.AsMemory(0, (int)Math.Min(read.Length, length - at)));
            Assert.True(n > 0, $"seed {seed}: read returned 0 at {at}");
            long wrong = ByteStreamData.FirstWrong(read.AsSpan(0, n), at);
            Assert.True(wrong < 0, $"seed {seed}: byte {wrong} is not the one written");
            at += n;
        }
    }

    private static async Task DisposeQuietlyAsync(IAsyncDisposable? disposable)
    {
        try
        {
            if (disposable is not null) await disposable.DisposeAsync();
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException || e is ObjectDisposedException)
        {
            // the process died under it
        }
    }
}
