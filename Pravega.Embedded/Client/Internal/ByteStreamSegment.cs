using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Where a byte stream's bytes are: the one segment of a stream with <c>ScalingPolicy.Fixed(1)</c> (docs/DESIGN.md,
/// "Byte streams"). Byte offsets are that segment's offsets: its bytes are placed without event framing.
/// </summary>
internal static class ByteStreamSegment
{
    /// <summary>The stream and its segment, checked for being a byte stream's.</summary>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    /// <exception cref="InvalidOperationException">
    /// The stream is not <c>Fixed(1)</c>, has more than one segment (it was scaled), or holds events.
    /// </exception>
    public static (StreamState Stream, Segment Segment) Resolve(StoreRuntime runtime, string scope, string stream)
    {
        lock (runtime.Container.Lock)
        {
            var state = runtime.Controller.GetStream(scope, stream);
            if (state.Config.ScalingPolicy != ScalingPolicy.Fixed(1))
                throw new InvalidOperationException($"Stream {state} has scaling policy {state.Config.ScalingPolicy}; a byte stream needs ScalingPolicy.Fixed(1).");
            var segments = state.AllSegments;
            if (segments.Count != 1)
                throw new InvalidOperationException($"Stream {state} has {segments.Count} segments; a byte stream has exactly one.");
            var segment = segments.First().Data;
            if (segment.Length > 0 && !segment.HoldsBytes)
                throw new InvalidOperationException($"Stream {state} holds events; it cannot be read or written as a byte stream.");
            return (state, segment);
        }
    }
}
