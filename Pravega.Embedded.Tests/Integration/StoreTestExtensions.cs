namespace Pravega.Embedded.Tests.Integration;

internal static class StoreTestExtensions
{
    public static async Task CreateStreamAsync(this IStreamStore store, string scope, string stream, int segments)
    {
        await store.Streams.CreateScopeAsync(scope);
        await store.Streams.CreateStreamAsync(scope, stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) });
    }

    /// <summary>Reads events with a fresh one-reader group until <paramref name="count"/> were read or a read times out.</summary>
    public static async Task<List<EventRead<string>>> ReadAllAsync(this IStreamStore store, string scope, string stream, int count, string? group = null)
    {
        group ??= "g" + Guid.NewGuid().ToString("N")[..12];
        await store.ReaderGroups.CreateReaderGroupAsync(scope, group, ReaderGroupConfig.ForStream(scope, stream));
        await using var reader = store.CreateReader("r1", scope, group, Serializers.Utf8);
        var events = new List<EventRead<string>>();
        while (events.Count < count)
        {
            var e = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(count == int.MaxValue ? 0.3 : 10));
            if (!e.HasEvent) break;
            events.Add(e);
        }
        return events;
    }

    /// <summary>Every event from the head to the durable tail of every segment, through the batch client (no waiting), sorted.</summary>
    public static async Task<List<string>> ReadSegmentsAsync(this IStreamStore store, string scope, string stream)
    {
        var events = new List<string>();
        await foreach (var range in store.Batch.ListSegmentsAsync(scope, stream))
            await foreach (var e in store.Batch.ReadSegmentAsync(range, Serializers.Utf8)) events.Add(e);
        events.Sort(StringComparer.Ordinal);
        return events;
    }

    /// <summary>Every segment's events from head to durable tail, each segment in its order, segments as the batch client lists them.</summary>
    public static async Task<List<List<string>>> ReadEachSegmentAsync(this IStreamStore store, string scope, string stream)
    {
        var segments = new List<List<string>>();
        await foreach (var range in store.Batch.ListSegmentsAsync(scope, stream))
        {
            var events = new List<string>();
            await foreach (var e in store.Batch.ReadSegmentAsync(range, Serializers.Utf8)) events.Add(e);
            segments.Add(events);
        }
        return segments;
    }

    public static async Task<long> TailLengthAsync(this IStreamStore store, string scope, string stream)
    {
        var info = await store.Streams.GetStreamInfoAsync(scope, stream);
        return info.Tail.Positions.Values.Sum();
    }
}
