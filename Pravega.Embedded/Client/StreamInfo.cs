namespace Pravega.Embedded;

/// <summary>A snapshot of a stream's state, from <see cref="IStreamManager.GetStreamInfoAsync"/>.</summary>
/// <param name="Scope">Scope of the stream.</param>
/// <param name="Stream">Name of the stream.</param>
/// <param name="Head">The first readable position: where truncation or retention left the stream.</param>
/// <param name="Tail">The current end of the stream: the lengths of its active segments.</param>
/// <param name="IsSealed">True when the stream is sealed: no more writes are accepted.</param>
public sealed record StreamInfo(string Scope, string Stream, StreamCut Head, StreamCut Tail, bool IsSealed);
