using System.Numerics;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// A segment's read index: its entries in offset order, kept in fixed pages of <see cref="PageSize"/> entries (64 KiB,
/// below the large object heap). Past the first page, appending never copies entries; a new page is added when the
/// last is full, and truncation (or tiering) drops whole pages without copying. The first page starts small, so an idle segment costs little. One writer (under the container lock), any number of lock-free readers: the writer
/// publishes a <see cref="View"/> (pages and count together) that readers take once per lookup.
/// </summary>
internal sealed class SegmentIndex
{
    public const int PageSize = 2048;

    /// <summary>The first page starts this small and doubles up to <see cref="PageSize"/>: most segments are short.</summary>
    private const int FirstPageSize = 8;

    private View _view = new([new SegmentIndexEntry[FirstPageSize]], 0, 0);

    /// <summary>Entries in use: from <see cref="Start"/> (within the first page) to <see cref="End"/> (exclusive).</summary>
    private sealed class View(SegmentIndexEntry[][] pages, int start, int end)
    {
        public readonly SegmentIndexEntry[][] Pages = pages;
        public readonly int Start = start;
        public int End = end;

        public ref readonly SegmentIndexEntry this[int i] => ref Pages[i / PageSize][i % PageSize];
    }

    /// <summary>Live entries (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            var view = Volatile.Read(ref _view);
            return Volatile.Read(ref view.End) - view.Start;
        }
    }

    /// <summary>Entry slots allocated in pages (for tests and diagnostics).</summary>
    public int Capacity => Volatile.Read(ref _view).Pages.Sum(p => p?.Length ?? 0);

    /// <summary>Appends an entry (container lock).</summary>
    public void Add(in SegmentIndexEntry entry)
    {
        var view = _view;
        int end = view.End;
        int page = end / PageSize;
        if (page < view.Pages.Length && view.Pages[page] is { } current)
        {
            if (page == 0 && end == current.Length && end < PageSize)
            {
                // A short first page grows by doubling (at most PageSize entries copied); later pages are fixed.
                var first = new SegmentIndexEntry[end * 2];
                current.AsSpan(0, end).CopyTo(first);
                var pages = (SegmentIndexEntry[][])view.Pages.Clone();
                pages[0] = first;
                view = new View(pages, view.Start, end);
                Volatile.Write(ref _view, view);
            }
        }
        else
        {
            // The directory of pages grows by doubling (references only); the entries never move.
            var pages = view.Pages;
            if (page == pages.Length) Array.Resize(ref pages, pages.Length * 2);
            pages[page] = new SegmentIndexEntry[PageSize];
            if (!ReferenceEquals(pages, view.Pages))
            {
                view = new View(pages, view.Start, end);
                Volatile.Write(ref _view, view);
            }
        }
        view.Pages[page][end % PageSize] = entry;
        Volatile.Write(ref view.End, end + 1);
    }

    /// <summary>
    /// Drops the entries that end at or before <paramref name="offset"/> (container lock; an entry holding it stays, as a
    /// byte stream's truncation may fall inside one): whole pages go, and the first page left is kept as it is, the
    /// dropped entries before the start merely hidden. Nothing is copied, so a segment tiered while it is written does not
    /// re-grow its first page after every pass; with nothing live left, all pages go (a small first page replaces them);
    /// <see cref="Trim"/> shrinks an idle segment's page.
    /// </summary>
    public void DropBefore(long offset)
    {
        var view = _view;
        int first = FirstEndingAfter(view, offset);
        if (first == view.Start) return;
        int pages = first / PageSize;
        if (first == view.End)
        {
            // Nothing live is left (a segment tiered or truncated to its end): the pages go, a small first page is next.
            Volatile.Write(ref _view, new View([new SegmentIndexEntry[FirstPageSize]], 0, 0));
            return;
        }
        if (pages == 0)
        {
            Volatile.Write(ref _view, new View(view.Pages, first, view.End));
            return;
        }
        var kept = new SegmentIndexEntry[view.Pages.Length - pages][]; // the page holding entry `first` exists: it is live
        Array.Copy(view.Pages, pages, kept, 0, kept.Length);
        Volatile.Write(ref _view, new View(kept, first - pages * PageSize, view.End - pages * PageSize));
    }

    /// <summary>
    /// When one page is in use and it is at least four times larger than its live entries need, copies them into a page
    /// of their size (container lock): a segment that stopped growing keeps no more than it needs. Called for idle
    /// segments only, so no segment under load pays for a copy and a re-growth.
    /// </summary>
    public void Trim()
    {
        var view = _view;
        if (view.End > PageSize || view.Pages[0] is not { } page) return;
        int live = view.End - view.Start;
        int size = Math.Max(FirstPageSize, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, live)));
        if (page.Length < 4 * size) return;
        var trimmed = new SegmentIndexEntry[size];
        page.AsSpan(view.Start, live).CopyTo(trimmed);
        Volatile.Write(ref _view, new View([trimmed], 0, live));
    }

    /// <summary>The entry holding byte <paramref name="offset"/>, if the index has it.</summary>
    public bool TryFind(long offset, out SegmentIndexEntry entry)
    {
        var view = Volatile.Read(ref _view);
        int at = IndexOf(view, Volatile.Read(ref view.End), offset);
        entry = at < 0 ? default : view[at];
        return at >= 0;
    }

    /// <summary>Position of the entry holding <paramref name="offset"/> among the view's entries before <paramref name="end"/>; -1 if none.</summary>
    private static int IndexOf(View view, int end, long offset)
    {
        int lo = view.Start, hi = end - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            ref readonly var e = ref view[mid];
            if (offset < e.Offset) hi = mid - 1;
            else if (offset >= e.End) lo = mid + 1;
            else return mid;
        }
        return -1;
    }

    /// <summary>
    /// Copies the entries from the one starting at <paramref name="offset"/> on, while they end at or before
    /// <paramref name="limit"/> and fit <paramref name="into"/>: the count; 0 when no entry holds the offset (or the first
    /// ends past the limit); -1 when the entry holding it does not start there. One search for a run of entries.
    /// </summary>
    public int CopyFrom(long offset, long limit, Span<SegmentIndexEntry> into)
    {
        var view = Volatile.Read(ref _view);
        int end = Volatile.Read(ref view.End);
        int at = IndexOf(view, end, offset);
        if (at < 0) return 0;
        if (view[at].Offset != offset) return -1;
        int count = 0;
        while (count < into.Length && at < end)
        {
            ref readonly var e = ref view[at++];
            if (e.End > limit) break;
            into[count++] = e;
        }
        return count;
    }

    /// <summary>Position of the first entry ending after <paramref name="offset"/> (the end if none).</summary>
    private static int FirstEndingAfter(View view, long offset)
    {
        int lo = view.Start, hi = view.End;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (view[mid].End <= offset) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
