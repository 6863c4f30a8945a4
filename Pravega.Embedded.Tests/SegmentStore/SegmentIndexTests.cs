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
        var segment = new Segment(1, 0, "scope", "stream");
        for (int i = 0; i < count; i++) segment.Add(new SegmentIndexEntry(segment.Length, EventBytes, new LogAddress(1, 64 + (i * 100))));
        segment.MakeDurable(segment.Length);
        return segment;
    }

    [Theory]
    [InlineData(10, 3)]      // few entries: kept, only hidden
    [InlineData(300, 250)]   // most entries: dropped from the index
    [InlineData(300, 100)]   // a third: kept
    [InlineData(300, 300)]   // everything
    [InlineData(5000, 4100)] // crosses pages: two whole pages dropped
    [InlineData(4096, 4096)] // exactly two full pages, all truncated
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

    [Fact]
    public void Truncation_drops_whole_pages_and_appends_go_on_without_moving_entries()
    {
        var segment = WithEvents(3 * SegmentIndex.PageSize + 5);
        segment.MakeTruncationDurable((2 * SegmentIndex.PageSize + 1) * EventBytes);

        Assert.Equal(SegmentIndex.PageSize + 4, segment.IndexCount); // two pages gone, the entry before the start hidden
        for (int i = 0; i < 3 * SegmentIndex.PageSize; i++) segment.Add(new SegmentIndexEntry(segment.Length, EventBytes, new LogAddress(3, i)));
        segment.MakeDurable(segment.Length);
        Assert.True(segment.TryFind(segment.Length - 1, out var last));
        Assert.Equal(3 * SegmentIndex.PageSize - 1, last.Address.Position);
        Assert.True(segment.TryFind((2 * SegmentIndex.PageSize + 1) * EventBytes, out var first));
        Assert.Equal(64 + ((2 * SegmentIndex.PageSize + 1) * 100), first.Address.Position);
    }

    [Fact]
    public void A_drop_within_the_first_page_keeps_it_and_only_an_idle_segment_trims_it()
    {
        var index = new SegmentIndex();
        for (int i = 0; i < 1500; i++) index.Add(new SegmentIndexEntry(i * 10L, 10, new LogAddress(1, i)));
        Assert.Equal(SegmentIndex.PageSize, index.Capacity);
        index.DropBefore(1400 * 10L);
        Assert.Equal(100, index.Count);
        Assert.Equal(SegmentIndex.PageSize, index.Capacity); // no copy into a small page that appends would re-grow
        index.Trim();
        Assert.Equal(128, index.Capacity);
        for (int i = 1400; i < 1500; i++)
        {
            Assert.True(index.TryFind(i * 10L + 3, out var e));
            Assert.Equal(i, e.Address.Position);
        }
        Assert.False(index.TryFind(1399 * 10L, out _));
        index.Trim();
        Assert.Equal(128, index.Capacity); // already its size

        index.DropBefore(1500 * 10L); // nothing live left: the page goes at once
        Assert.Equal(0, index.Count);
        Assert.True(index.Capacity <= 8);

        var segment = WithEvents(1500);
        segment.MakeTruncationDurable(1400 * EventBytes);
        segment.TrimIndexIfIdle(); // events were added since the last call: kept
        segment.TrimIndexIfIdle(); // none since: trimmed
        Assert.True(segment.TryFind(1450 * EventBytes, out _));
    }

    [FsCheck.Xunit.Property(MaxTest = 50)]
    public bool The_index_finds_what_a_list_finds(int seed)
    {
        var random = new Random(seed);
        int count = random.Next(2) == 0 ? random.Next(0, 40) : random.Next(0, 4 * SegmentIndex.PageSize); // short or up to four pages
        var index = new SegmentIndex();
        var model = new List<SegmentIndexEntry>();
        long offset = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = new SegmentIndexEntry(offset, random.Next(1, 50), new LogAddress(1, i));
            index.Add(entry);
            model.Add(entry);
            offset = entry.End;
        }
        long truncateAt = model.Count == 0 ? 0 : model[random.Next(model.Count)].Offset;
        index.DropBefore(truncateAt);
        if (random.Next(2) == 0) index.Trim(); // an idle segment's page shrinks: nothing may be lost or moved
        for (int i = random.Next(0, SegmentIndex.PageSize + 10); i > 0; i--) // appends go on after the drop
        {
            var entry = new SegmentIndexEntry(offset, random.Next(1, 50), new LogAddress(2, model.Count));
            index.Add(entry);
            model.Add(entry);
            offset = entry.End;
        }
        foreach (var expected in model.Where(e => e.Offset >= truncateAt))
        {
            if (!index.TryFind(expected.Offset, out var atStart) || atStart != expected) return false;
            if (!index.TryFind(expected.End - 1, out var atEnd) || atEnd != expected) return false;
        }
        return !index.TryFind(offset, out _);
    }
}
