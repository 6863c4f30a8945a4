using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.SegmentStore;

/// <summary>The read index under truncation: start offset, boundaries, and dropping entries below the start.</summary>
public sealed class SegmentIndexTests
{
    private const int EventBytes = 10;

    private static Segment WithEvents(int count)
    {
        var segment = new Segment(1, 0, new DataSignal());
        for (int i = 0; i < count; i++) segment.Add(new SegmentIndexEntry(segment.Length, EventBytes, new LogAddress(1, 64 + (i * 100))));
        segment.MakeDurable(segment.Length);
        return segment;
    }

    [Theory]
    [InlineData(10, 3)]      // few entries: kept, only hidden
    [InlineData(300, 250)]   // most entries: dropped from the index
    [InlineData(300, 100)]   // a third: kept
    [InlineData(300, 300)]   // everything
    public void Reads_below_the_start_are_refused_and_the_rest_is_found_whether_or_not_entries_were_dropped(int count, int truncateAt)
    {
        var segment = WithEvents(count);
        long start = truncateAt * EventBytes;

        segment.Truncate(start);
        Assert.Equal(start, segment.AcceptedStartOffset);
        Assert.Equal(0, segment.StartOffset);
        Assert.True(segment.TryFind(0, out _));

        segment.MakeTruncationDurable(start);
        Assert.Equal(start, segment.StartOffset);
        Assert.False(segment.TryFind(start - 1, out _));
        Assert.False(segment.TryFind(0, out _));
        for (int i = truncateAt; i < count; i++)
        {
            Assert.True(segment.TryFind((i * EventBytes) + 3, out var entry));
            Assert.Equal(i * EventBytes, entry.Offset);
            Assert.Equal(64 + (i * 100), entry.Address.Position);
            Assert.True(segment.IsEventBoundary(i * EventBytes));
            Assert.False(segment.IsEventBoundary((i * EventBytes) + 1));
            Assert.Equal(i * EventBytes, segment.BoundaryAtOrBefore((i * EventBytes) + 9));
        }
        Assert.True(segment.IsEventBoundary(count * EventBytes));
        Assert.Equal(start, segment.BoundaryAtOrBefore(0));

        // Appends after a drop land in the new index block.
        segment.Add(new SegmentIndexEntry(segment.Length, EventBytes, new LogAddress(2, 64)));
        segment.MakeDurable(segment.Length);
        Assert.True(segment.TryFind(count * EventBytes, out var added));
        Assert.Equal(2, added.Address.FileSequence);
    }

    [Fact]
    public void A_lower_truncation_never_moves_the_start_back()
    {
        var segment = WithEvents(100);
        segment.MakeTruncationDurable(800);
        segment.Truncate(200);
        segment.MakeTruncationDurable(200);
        Assert.Equal(800, segment.StartOffset);
        Assert.Equal(800, segment.AcceptedStartOffset);
    }
}
