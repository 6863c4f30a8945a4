namespace Pravega.Embedded;

/// <summary>A stream read by a reader group, with optional bounds.</summary>
/// <param name="Scope">Scope of the stream.</param>
/// <param name="Stream">Name of the stream.</param>
/// <param name="Start">Where reading starts: a cut of this stream, or null (or <see cref="StreamCut.Unbounded"/>) for its head.</param>
/// <param name="End">Where reading ends: a cut of this stream, or null (or <see cref="StreamCut.Unbounded"/>) for no end.</param>
public sealed record StreamSelection(string Scope, string Stream, StreamCut? Start = null, StreamCut? End = null);
