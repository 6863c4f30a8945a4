using System.Diagnostics.CodeAnalysis;

namespace Pravega.Embedded;

/// <summary>
/// Direct reads of segment ranges, without a reader group and without ordering across segments: for bulk and parallel
/// processing of a stream's history. Safe to use from many threads at once.
/// </summary>
public interface IBatchClient
{
    /// <summary>
    /// Lists the segments holding the stream's data between two cuts, each with the byte range inside them.
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="from">Start cut, or null for the head.</param>
    /// <param name="to">End cut, or null for the current tail.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The segment ranges.</returns>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    /// <exception cref="StreamNotFoundException">The stream does not exist.</exception>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Parameter names fixed by the public API contract (API.md); callers may pass them by name.")]
    IAsyncEnumerable<SegmentRange> ListSegmentsAsync(string scope, string stream, StreamCut? from = null, StreamCut? to = null, CancellationToken ct = default);

    /// <summary>Reads the events of one segment range, in order.</summary>
    /// <typeparam name="T">Type of the events.</typeparam>
    /// <param name="range">A range from <see cref="ListSegmentsAsync"/>.</param>
    /// <param name="serializer">Turns bytes back into events.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The events from the range's start offset to its end offset.</returns>
    /// <exception cref="TruncatedDataException">Part of the range was truncated away.</exception>
    IAsyncEnumerable<T> ReadSegmentAsync<T>(SegmentRange range, ISerializer<T> serializer, CancellationToken ct = default);
}
