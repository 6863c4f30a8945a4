namespace Pravega.Embedded.Tier1;

/// <summary>A byte range of a log file and the mirror whose copy of it was chosen.</summary>
internal readonly record struct ChosenRange(int Position, int Length, int Source);

/// <summary>
/// What recovery will write to one log file of the log: which mirror's bytes were chosen for each frame, which
/// ranges each mirror needs rewritten, where the log's frames end and where its last group commit starts.
/// </summary>
internal sealed class FilePlan
{
    private readonly List<ChosenRange>[] _repairs;

    public FilePlan(InventoryFile file, int mirrors)
    {
        File = file;
        _repairs = new List<ChosenRange>[mirrors];
        for (int m = 0; m < mirrors; m++) _repairs[m] = [];
    }

    public InventoryFile File { get; }

    /// <summary>Per mirror, the end of the non-zero (or unreadable) bytes after <see cref="End"/>: zeroed up to there.</summary>
    public int[] ZeroEnds => _zeroEnds ??= new int[_repairs.Length];

    private int[]? _zeroEnds;

    /// <summary>Every frame of the log in this file, by chosen source, merged where adjacent.</summary>
    public List<ChosenRange> Chosen { get; } = [];

    /// <summary>Where the log's frames in this file end.</summary>
    public int End { get; set; }

    /// <summary>Where the last group commit in this file starts (-1: no frame here).</summary>
    public int LastCommitStart { get; set; } = -1;

    public IReadOnlyList<ChosenRange> Repairs(int mirror) => _repairs[mirror];

    /// <summary>Whether the mirror's copy is rebuilt whole (it is missing or its header is unreadable).</summary>
    public bool Rebuilds(int mirror) => File.Copies[mirror] != CopyState.Valid;

    /// <summary>Frames the scan found in one readable copy only, as it read them (by position).</summary>
    private List<(int Position, byte[] Bytes)>? _retained;

    public void Retain(int position, byte[] bytes) => (_retained ??= []).Add((position, bytes));

    /// <summary>
    /// The retained frame holding byte <paramref name="offset"/>: its bytes from there on; else empty, and
    /// <paramref name="next"/> is where the next retained frame starts (<see cref="long.MaxValue"/> if none).
    /// </summary>
    public ReadOnlySpan<byte> RetainedAt(long offset, out long next)
    {
        next = long.MaxValue;
        if (_retained is null) return default;
        foreach (var (position, bytes) in _retained) // in position order
        {
            if (position + bytes.Length <= offset) continue;
            if (position <= offset) return bytes.AsSpan((int)(offset - position));
            next = position;
            break;
        }
        return default;
    }

    public void Take(int position, int length, int source) => Add(Chosen, new ChosenRange(position, length, source));

    public void Repair(int mirror, int position, int length, int source) => Add(_repairs[mirror], new ChosenRange(position, length, source));

    /// <summary>The chosen ranges clipped to <c>[from, End)</c>.</summary>
    public IEnumerable<ChosenRange> ChosenFrom(int from)
    {
        foreach (var r in Chosen)
        {
            if (r.Position + r.Length <= from) continue;
            int start = Math.Max(r.Position, from);
            yield return new ChosenRange(start, r.Position + r.Length - start, r.Source);
        }
    }

    private static void Add(List<ChosenRange> ranges, ChosenRange next)
    {
        if (ranges.Count > 0 && ranges[^1] is var last && last.Source == next.Source && last.Position + last.Length == next.Position)
            ranges[^1] = last with { Length = last.Length + next.Length };
        else
            ranges.Add(next);
    }
}
