using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The events of one segment that start in one <see cref="TierBlocks"/> block, read from Tier-2: their bytes
/// <c>[From, To)</c> (<c>[i32 length][event]</c> entries) and where each starts. Immutable; the unit of the Tier-2 read
/// cache, and the hint a reader keeps for the block it is reading.
/// </summary>
internal sealed class TierBlock
{
    private readonly int[] _starts;

    /// <param name="segment">The segment.</param>
    /// <param name="block">The block.</param>
    /// <param name="from">The first event's offset.</param>
    /// <param name="bytes">The events' bytes, from <paramref name="from"/> on.</param>
    /// <param name="starts">Where each event starts, relative to <paramref name="from"/>, ascending.</param>
    /// <param name="complete">Every event starting in the block is here (false for the block the tiered bytes end in).</param>
    public TierBlock(Segment segment, long block, long from, byte[] bytes, int[] starts, bool complete)
    {
        Segment = segment;
        Block = block;
        From = from;
        Bytes = bytes;
        _starts = starts;
        IsComplete = complete;
    }

    public Segment Segment { get; }

    public long Block { get; }

    public long From { get; }

    public long To => From + Bytes.Length;

    public byte[] Bytes { get; }

    public bool IsComplete { get; }

    /// <summary>Whether this block can answer for <paramref name="offset"/> of <paramref name="segment"/>.</summary>
    public bool Answers(Segment segment, long offset) =>
        ReferenceEquals(segment, Segment) && TierBlocks.Of(offset) == Block && (IsComplete || offset < To);

    /// <summary>The greatest event start of this block at or before <paramref name="offset"/>; null when the block's first is after it.</summary>
    public long? GreatestStartAtOrBefore(long offset)
    {
        if (offset < From || _starts.Length == 0) return null;
        int i = Array.BinarySearch(_starts, (int)Math.Min(offset - From, int.MaxValue));
        if (i < 0) i = ~i - 1;
        return i >= 0 ? From + _starts[i] : null;
    }

    /// <summary>Whether an event starts at <paramref name="offset"/> (which this block answers for).</summary>
    public bool IsEventStart(long offset) =>
        offset >= From && offset < To && Array.BinarySearch(_starts, (int)(offset - From)) >= 0;
}
