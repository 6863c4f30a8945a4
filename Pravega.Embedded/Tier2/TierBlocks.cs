namespace Pravega.Embedded.Tier2;

/// <summary>
/// The unit in which tiered bytes are indexed, read and cached: a segment's offsets fall into blocks of
/// <see cref="Size"/> bytes. For every block the manifest records the first event boundary at or after the block's
/// start, so the events that start in a block (the bytes from that boundary to the next block's) are found and read as
/// one, and an offset is checked for being an event boundary by walking one block, with no per-event index in memory.
/// </summary>
internal static class TierBlocks
{
    public const int Shift = 20;

    /// <summary>1 MiB.</summary>
    public const int Size = 1 << Shift;

    /// <summary>The block that holds <paramref name="offset"/>.</summary>
    public static long Of(long offset) => offset >> Shift;

    /// <summary>The first offset of <paramref name="block"/>.</summary>
    public static long StartOf(long block) => block << Shift;

    /// <summary>The first block whose start is at or after <paramref name="offset"/>.</summary>
    public static long FirstStartingAtOrAfter(long offset) => (offset + Size - 1) >> Shift;

    /// <summary>The starts of the blocks that start within <c>[from, to)</c>, ascending.</summary>
    public static IEnumerable<long> StartsWithin(long from, long to)
    {
        for (long block = FirstStartingAtOrAfter(from); StartOf(block) < to; block++) yield return StartOf(block);
    }

    /// <summary>
    /// The first event boundary at or after the start of each block that starts within a pass's bytes
    /// <c>[from, to)</c> (<see cref="FirstStartingAtOrAfter"/> of <paramref name="from"/> first): the first event
    /// starting there, or <paramref name="to"/> (where the next event will start) when none of the pass's does.
    /// </summary>
    /// <param name="from">The pass's first byte, an event start.</param>
    /// <param name="to">The pass's end, an event boundary.</param>
    /// <param name="eventStarts">Where the pass's events start, ascending.</param>
    public static long[] FirstBoundaries(long from, long to, IEnumerable<long> eventStarts)
    {
        var boundaries = new List<long>();
        long block = FirstStartingAtOrAfter(from);
        foreach (long start in eventStarts)
        {
            for (; StartOf(block) <= start; block++) boundaries.Add(start);
        }
        for (; StartOf(block) < to; block++) boundaries.Add(to);
        return [.. boundaries];
    }
}
