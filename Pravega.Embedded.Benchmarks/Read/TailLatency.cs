using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// Tail reads: one writer and a reader group of R readers on a Fixed(8) stream. The writer runs a closed loop with a few
/// events in flight (100-1,024 B, 64 routing keys); each event carries its id, and the harness keeps three timestamps
/// per id: just before <c>WriteEventAsync</c> is called, just after its acknowledgement is awaited, and just after a
/// reader's <c>ReadNextEventAsync</c> returned it. Each reader loops on its own task.
/// </summary>
/// <remarks>
/// The store makes an append readable (and signals the stream's readers) on its flusher thread right before it
/// completes the writers' acknowledgements, and both continue on the thread pool; so "ack to read" is the difference
/// of two wake-up paths and is negative when the reader got there first: its percentiles are exact (sorted, signed).
/// "Write call to read" is the whole path: group commit, fdatasync of three mirrors, the readers' wake-up (HdrHistogram).
/// </remarks>
internal static class TailLatency
{
    private const string Scope = "bench";
    private const int Keys = 64;
    private const int MinEventSize = 100;
    private const int MaxEventSize = 1024;

    /// <summary>Creates <paramref name="stream"/> and its reader group, runs the readers and the writer, deletes the group.</summary>
    public static async Task<TailResult> RunAsync(StreamStore store, string stream, int readerCount, int events, int warmup, int inFlight)
    {
        await store.Streams.CreateStreamAsync(Scope, stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(8) });
        await store.ReaderGroups.CreateReaderGroupAsync(Scope, stream, ReaderGroupConfig.ForStream(Scope, stream));
        var group = await store.ReaderGroups.GetReaderGroupAsync(Scope, stream);

        int total = warmup + events;
        var callAt = new long[total];
        var ackAt = new long[total];
        var readAt = new long[total];
        var sizes = new int[total];
        var random = new Random(11);
        for (int i = 0; i < total; i++) sizes[i] = random.Next(MinEventSize, MaxEventSize + 1);
        var keys = new string[Keys];
        for (int k = 0; k < keys.Length; k++) keys[k] = "key-" + k.ToString(CultureInfo.InvariantCulture);

        int readCount = 0;
        int duplicates = 0;
        var perReader = new int[readerCount];
        bool stopping = false;
        var readers = new IEventStreamReader<TailEvent>[readerCount];
        var loops = new Task[readerCount];
        await using var writer = store.CreateEventWriter(Scope, stream, TailEventSerializer.Instance);
        try
        {
            for (int r = 0; r < readerCount; r++)
                readers[r] = store.CreateReader("reader-" + r.ToString(CultureInfo.InvariantCulture), Scope, stream, TailEventSerializer.Instance);
            for (int r = 0; r < readerCount; r++)
            {
                int index = r;
                loops[r] = Task.Run(() => ReadLoop(readers[index], index));
            }
            while ((await group.GetOnlineReadersAsync()).Count < readerCount) await Task.Delay(10);

            Console.Error.WriteLine($"tail {stream} R={readerCount}: warm-up {warmup:N0} events");
            await WriteAsync(0, warmup);
            await WaitForReadsAsync(warmup);
            Array.Clear(perReader);

            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            Console.Error.Write($"tail {stream} R={readerCount}: measure {events:N0} events ... ");
            long start = Stopwatch.GetTimestamp();
            await WriteAsync(warmup, total);
            await WaitForReadsAsync(total);
            var elapsed = Stopwatch.GetElapsedTime(start);
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{events / elapsed.TotalSeconds:N0} events/s"));

            Volatile.Write(ref stopping, true);
            await Task.WhenAll(loops);

            var ackToRead = new long[events];
            var callToRead = NewHistogram();
            var callToAck = NewHistogram();
            double nanosPerTick = 1e9 / Stopwatch.Frequency;
            for (int i = warmup; i < total; i++)
            {
                ackToRead[i - warmup] = (long)((readAt[i] - ackAt[i]) * nanosPerTick);
                callToRead.RecordValue((long)((readAt[i] - callAt[i]) * nanosPerTick));
                callToAck.RecordValue((long)((ackAt[i] - callAt[i]) * nanosPerTick));
            }
            Array.Sort(ackToRead);
            return new TailResult(readerCount, inFlight, events, elapsed, ackToRead, callToRead, callToAck, duplicates,
                Array.ConvertAll(perReader, c => c), cpu);
        }
        finally
        {
            Volatile.Write(ref stopping, true);
            foreach (var t in loops)
                if (t is not null) await t.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var r in readers)
                if (r is not null) await r.DisposeAsync();
            await store.ReaderGroups.DeleteReaderGroupAsync(Scope, stream);
        }

        async Task ReadLoop(IEventStreamReader<TailEvent> reader, int index)
        {
            while (!Volatile.Read(ref stopping))
            {
                var read = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(100));
                if (!read.HasEvent) continue;
                long now = Stopwatch.GetTimestamp();
                int id = read.Event.Id;
                if (readAt[id] != 0) Interlocked.Increment(ref duplicates);
                readAt[id] = now;
                perReader[index]++;
                Interlocked.Increment(ref readCount);
            }
        }

        async Task WriteAsync(int from, int to)
        {
            int next = from - 1;
            var callers = new Task[inFlight];
            for (int c = 0; c < callers.Length; c++) callers[c] = Caller();
            await Task.WhenAll(callers);

            async Task Caller()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < to)
                {
                    callAt[i] = Stopwatch.GetTimestamp();
                    await writer.WriteEventAsync(keys[i % keys.Length], new TailEvent(i, sizes[i]));
                    ackAt[i] = Stopwatch.GetTimestamp();
                }
            }
        }

        async Task WaitForReadsAsync(int count)
        {
            long deadline = Environment.TickCount64 + 60_000;
            while (Volatile.Read(ref readCount) < count)
            {
                if (Environment.TickCount64 > deadline)
                    throw new TimeoutException($"Readers got {Volatile.Read(ref readCount):N0} of {count:N0} events within a minute.");
                await Task.Delay(5);
            }
        }
    }

    /// <summary>Nanoseconds up to a minute, 3 significant digits.</summary>
    private static LongHistogram NewHistogram() => new(TimeSpan.FromMinutes(1).Ticks * 100, 3);
}

/// <summary>
/// One tail-latency run: R readers, latencies in nanoseconds; ack to read as the sorted signed differences (negative
/// when the reader had the event before the writer's await returned), the others in histograms.
/// </summary>
internal sealed record TailResult(
    int Readers, int InFlight, int Events, TimeSpan Elapsed,
    long[] AckToReadSorted, LongHistogram CallToRead, LongHistogram CallToAck,
    int Duplicates, int[] PerReader, TimeSpan Cpu)
{
    /// <summary>How many events a reader returned before the writer's acknowledgement await returned.</summary>
    public int ReadBeforeAck
    {
        get
        {
            int i = Array.BinarySearch(AckToReadSorted, 0L);
            if (i < 0) return ~i;
            while (i > 0 && AckToReadSorted[i - 1] == 0) i--;
            return i;
        }
    }

    /// <summary>Exact percentile of the signed ack-to-read differences, in µs.</summary>
    public double AckToReadMicros(double percentile) =>
        AckToReadSorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * AckToReadSorted.Length) - 1, 0, AckToReadSorted.Length - 1)] / 1000.0;

    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    public double CpuPercent => 100 * Cpu.TotalSeconds / Elapsed.TotalSeconds;

    public static double Micros(LongHistogram histogram, double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
}
