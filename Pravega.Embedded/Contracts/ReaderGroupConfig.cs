namespace Pravega.Embedded;

/// <summary>What a reader group reads: its streams with their bounds, and its automatic checkpoints.</summary>
public sealed record ReaderGroupConfig
{
    /// <summary>The streams read, each at most once, with optional start and end cuts. At least one.</summary>
    public required IReadOnlyList<StreamSelection> Streams { get; init; }

    /// <summary>How often the group checkpoints itself, or null (the default) for no automatic checkpoints.</summary>
    public TimeSpan? AutomaticCheckpointInterval { get; init; }

    /// <summary>A configuration reading one stream, from <paramref name="start"/> (null: its head) to <paramref name="end"/> (null: no end).</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="start">Where to start, or null for the head.</param>
    /// <param name="end">Where to end, or null for no end.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentException">A name is invalid (ParamName <c>scope</c> or <c>stream</c>).</exception>
    public static ReaderGroupConfig ForStream(string scope, string stream, StreamCut? start = null, StreamCut? end = null)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        return new ReaderGroupConfig { Streams = [new StreamSelection(scope, stream, start, end)] };
    }

    /// <summary>
    /// A configuration that resumes every stream of <paramref name="checkpoint"/> at its cut, without an end. Pass it
    /// to <see cref="IReaderGroup.ResetAsync"/> (or to create a group) to restore from the checkpoint.
    /// </summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null.</exception>
    /// <exception cref="ArgumentException">The checkpoint holds no cut, or an unbounded one.</exception>
    public static ReaderGroupConfig FromCheckpoint(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(checkpoint.Positions, nameof(checkpoint));
        if (checkpoint.Positions.Count == 0)
        {
            ThrowHelper.ThrowArgument("The checkpoint holds no stream cut.", nameof(checkpoint));
        }

        var streams = new StreamSelection[checkpoint.Positions.Count];
        for (int i = 0; i < streams.Length; i++)
        {
            StreamCut cut = checkpoint.Positions[i];
            if (cut is null || cut.IsUnbounded)
            {
                ThrowHelper.ThrowArgument("A checkpoint's stream cuts must name their stream.", nameof(checkpoint));
            }

            streams[i] = new StreamSelection(cut.Scope, cut.Stream, cut);
        }

        return new ReaderGroupConfig { Streams = streams };
    }

    /// <summary>Checks the configuration given as parameter <paramref name="paramName"/>.</summary>
    /// <exception cref="ArgumentException">
    /// No stream, an invalid or repeated stream, a cut of another stream, or a non-positive checkpoint interval.
    /// </exception>
    internal void Validate(string paramName)
    {
        if (Streams is null || Streams.Count == 0)
        {
            ThrowHelper.ThrowArgument("A reader group reads at least one stream.", paramName);
        }

        var seen = new HashSet<(string, string)>();
        foreach (StreamSelection? selection in Streams)
        {
            if (selection is null || !NameValidator.IsValidName(selection.Scope) || !NameValidator.IsValidName(selection.Stream))
            {
                ThrowHelper.ThrowArgument("A selected stream is null or has an invalid scope or stream name.", paramName);
            }

            if (!seen.Add((selection.Scope, selection.Stream)))
            {
                ThrowHelper.ThrowArgument($"The stream {selection.Scope}/{selection.Stream} is selected twice.", paramName);
            }

            if (!CutMatches(selection.Start, selection) || !CutMatches(selection.End, selection))
            {
                ThrowHelper.ThrowArgument($"A start or end cut of {selection.Scope}/{selection.Stream} belongs to another stream.", paramName);
            }
        }

        if (AutomaticCheckpointInterval is { } interval && interval <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgument("AutomaticCheckpointInterval must be positive (or null for none).", paramName);
        }
    }

    private static bool CutMatches(StreamCut? cut, StreamSelection selection) =>
        cut is null || cut.IsUnbounded
        || (string.Equals(cut.Scope, selection.Scope, StringComparison.Ordinal) && string.Equals(cut.Stream, selection.Stream, StringComparison.Ordinal));
}
