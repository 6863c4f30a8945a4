namespace Pravega.Embedded;

/// <summary>
/// A consistent position of a whole reader group, reached by every reader that was online
/// (<see cref="IReaderGroup.InitiateCheckpointAsync"/>). Restoring from it
/// (<see cref="ReaderGroupConfig.FromCheckpoint"/>) gives exactly-once processing to a consumer that stores its
/// state along with the checkpoint.
/// </summary>
/// <param name="Name">The checkpoint's name.</param>
/// <param name="Positions">One stream cut per stream of the group.</param>
public sealed record Checkpoint(string Name, IReadOnlyList<StreamCut> Positions);
