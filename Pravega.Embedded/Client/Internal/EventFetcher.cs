using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>Reads the one event an <see cref="EventPointer"/> names.</summary>
internal static class EventFetcher
{
    public static async Task<T> FetchAsync<T>(StoreRuntime runtime, EventPointer pointer, ISerializer<T> serializer, CancellationToken ct)
    {
        var stream = runtime.Controller.GetStream(pointer.Segment.Scope, pointer.Segment.Stream);
        if (!stream.TryGetSegment(pointer.Segment.SegmentId, out var segment))
            throw new ArgumentException($"Segment {pointer.Segment} does not exist.", nameof(pointer));
        var (read, _) = await runtime.Reader.ReadEventAsync(segment.Data, pointer.Offset, serializer, hint: null, ct).ConfigureAwait(false);
        if (read.Status == SegmentReadStatus.Truncated)
            throw ThrowHelper.Truncated(pointer.Segment, pointer.Offset, read.StartOffset);
        if (read.Status != SegmentReadStatus.Event || read.Length != pointer.Length)
            throw new ArgumentException($"No event of {pointer.Length} bytes starts at offset {pointer.Offset} of segment {pointer.Segment}.", nameof(pointer));
        return read.Event!;
    }
}
