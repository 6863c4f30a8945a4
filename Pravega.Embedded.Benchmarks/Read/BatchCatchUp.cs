namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>A catch-up reader that reads with batch reads: one reused 1 MiB batch (up to 4,096 events per call).</summary>
internal static class BatchCatchUp
{
    /// <summary>Reads <paramref name="events"/> events with <paramref name="reader"/>, batch by batch; their bytes.</summary>
    /// <exception cref="InvalidOperationException">A read waited <paramref name="wait"/> and got nothing.</exception>
    public static async Task<long> ReadAllAsync(IEventStreamReader<byte[]> reader, long events, TimeSpan wait)
    {
        var batch = new EventBatch(1 << 20, 4096);
        long bytes = 0;
        for (long read = 0; read < events; read += batch.Count)
        {
            await reader.ReadNextEventsAsync(batch, wait);
            if (batch.Count == 0 && batch.CheckpointName is null)
                throw new InvalidOperationException($"The batch reader got {read:N0} of {events:N0} events, then nothing.");
            for (int i = 0; i < batch.Count; i++) bytes += batch[i].Length;
        }
        return bytes;
    }
}
