using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>Reads the one event an <see cref="EventPointer"/> names.</summary>
internal static class EventFetcher
{
    public static T Fetch<T>(StoreRuntime runtime, EventPointer pointer, ISerializer<T> serializer)
    {
        var stream = runtime.Controller.GetStream(pointer.Segment.Scope, pointer.Segment.Stream);
        if (!stream.TryGetSegment(pointer.Segment.SegmentId, out var segment))
            throw new ArgumentException($"Segment {pointer.Segment} does not exist.", nameof(pointer));
        if (pointer.Offset < segment.Data.StartOffset) ThrowTruncated(pointer, segment.Data.StartOffset);
        if (!segment.Data.TryFind(pointer.Offset, out var entry) || entry.Offset != pointer.Offset || entry.Length != pointer.Length)
        {
            if (pointer.Offset < segment.Data.StartOffset) ThrowTruncated(pointer, segment.Data.StartOffset); // truncated meanwhile
            throw new ArgumentException($"No event of {pointer.Length} bytes starts at offset {pointer.Offset} of segment {pointer.Segment}.", nameof(pointer));
        }
        return runtime.ReadEvent(entry, serializer);
    }

    [DoesNotReturn]
    private static void ThrowTruncated(EventPointer pointer, long startOffset) =>
        throw new TruncatedDataException($"The event at offset {pointer.Offset} of segment {pointer.Segment} was truncated: the segment starts at {startOffset}.");
}
