namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The container's state of one transaction (container lock for every field but <see cref="LastActivity"/>): its
/// events while open, and once finished the LSN of the record that finished it, so that its status tells accepted from
/// durable (<see cref="StatusAt"/>).
/// </summary>
internal sealed class TransactionState
{
    private long _lastActivity;

    public TransactionState(Guid id, long streamId, string? writerId, TimeSpan timeout)
    {
        Id = id;
        StreamId = streamId;
        WriterId = writerId;
        Timeout = timeout;
    }

    public Guid Id { get; }

    public long StreamId { get; }

    /// <summary>The writer id of the transactional writer that began it (null: none given).</summary>
    public string? WriterId { get; }

    /// <summary>How long it may go without a write, flush or commit before the store aborts it.</summary>
    public TimeSpan Timeout { get; }

    public TransactionPhase Phase { get; private set; }

    /// <summary>
    /// The events written so far that are in the WAL where they were written, in write order (open only; a commit moves
    /// them into segments). Events staged in Tier-2 (<see cref="Staged"/>) come before them and are not among them.
    /// </summary>
    public List<TransactionEntry> Entries { get; private set; } = [];

    /// <summary>
    /// Where its oldest events are in Tier-2, oldest first (docs/DESIGN.md, "Transactions", staging): the tierer moved them
    /// out of the WAL while it was open. Empty for a transaction never staged.
    /// </summary>
    public List<StagedChunk> Staged { get; private set; } = [];

    /// <summary>How many of its first events are staged in Tier-2 (the chunks follow one another from event 0).</summary>
    public int StagedCount => Staged.Count == 0 ? 0 : Staged[^1].First + Staged[^1].Count;

    /// <summary>
    /// The staged events written to the WAL again by a commit under way (<c>relog</c> records), in order: the first
    /// <c>Relogged.Count</c> of the <see cref="StagedCount"/> staged ones. Complete, they precede <see cref="Entries"/>.
    /// </summary>
    public List<TransactionEntry> Relogged { get; private set; } = [];

    /// <summary>Whether its events may be staged in Tier-2 (not for the records of key-value tables and state synchronizers: short-lived).</summary>
    public bool Stageable { get; init; } = true;

    /// <summary>A stage pass of it failed (tierer only): it is not staged again in this open.</summary>
    public bool StagingFailed { get; set; }

    /// <summary>The commit's relog of its staged events, once one started (container lock): a second commit awaits the same.</summary>
    public Task? Unstaging { get; set; }

    /// <summary>Every event, staged ones first, in write order, once the staged ones are all relogged (commit).</summary>
    public IReadOnlyList<TransactionEntry> AllEntries => Relogged.Count == 0 ? Entries : [.. Relogged, .. Entries];

    /// <summary>Events written so far (kept after the entries move).</summary>
    public int EventCount { get; private set; }

    /// <summary>The WAL file of its first event (<see cref="long.MaxValue"/>: none): kept while it is open.</summary>
    public long FirstFile { get; private set; } = long.MaxValue;

    /// <summary>A byte stream's flush unit, not a caller's transaction: no lease, not remembered once finished, aborted at open.</summary>
    public bool IsByteUnit { get; init; }

    /// <summary>The LSN of its begin record (0: durable already, replayed or restored).</summary>
    public long BeginLsn { get; init; }

    /// <summary>The LSN of its last event's record (0: durable already).</summary>
    public long LastLsn { get; private set; }

    /// <summary>The LSN of the record that committed or aborted it (0: durable already).</summary>
    public long FinishLsn { get; private set; }

    /// <summary>Why it was aborted (when it was).</summary>
    public AbortReason AbortReason { get; private set; }

    /// <summary>When it was last written, flushed or committed, as a <see cref="TimeProvider"/> timestamp (any thread).</summary>
    public long LastActivity
    {
        get => Volatile.Read(ref _lastActivity);
        set => Volatile.Write(ref _lastActivity, value);
    }

    /// <summary>Its lease timer (<see cref="TransactionLeases"/>), while one runs.</summary>
    public ITimer? Lease { get; set; }

    public void Add(in TransactionEntry entry, long lsn)
    {
        Entries.Add(entry);
        EventCount++;
        LastLsn = lsn;
        FirstFile = Math.Min(FirstFile, entry.Address.FileSequence);
    }

    /// <summary>Its first <paramref name="chunk"/>.Count WAL events are staged in Tier-2 now: they leave <see cref="Entries"/>.</summary>
    public void Stage(in StagedChunk chunk)
    {
        Staged.Add(chunk);
        Entries.RemoveRange(0, chunk.Count);
        UpdateFirstFile();
    }

    /// <summary>The next staged event is in the WAL again, at <paramref name="entry"/> (a commit's relog record).</summary>
    public void AddRelogged(in TransactionEntry entry, long lsn)
    {
        Relogged.Add(entry);
        LastLsn = Math.Max(LastLsn, lsn);
        FirstFile = Math.Min(FirstFile, entry.Address.FileSequence);
    }

    /// <summary>Restores its events (checkpoint restore: replay collected them, and the staging from the checkpoint).</summary>
    public void RestoreEntries(List<TransactionEntry> entries, List<TransactionEntry> relogged)
    {
        Entries = entries;
        Relogged = relogged;
        UpdateFirstFile();
    }

    /// <summary>Restores the event count, and the staging of an open one (checkpoint restore).</summary>
    public void RestoreCount(int count, List<StagedChunk> staged)
    {
        EventCount = count;
        Staged = staged;
    }

    private void UpdateFirstFile()
    {
        long first = long.MaxValue;
        foreach (var e in Entries) first = Math.Min(first, e.Address.FileSequence);
        foreach (var e in Relogged) first = Math.Min(first, e.Address.FileSequence);
        FirstFile = first;
    }

    /// <summary>Commits or aborts it by the record at <paramref name="lsn"/> (0: durable already); its events go.</summary>
    public void Finish(TransactionPhase phase, long lsn, AbortReason reason = AbortReason.None)
    {
        Phase = phase;
        FinishLsn = lsn;
        AbortReason = reason;
        Entries = [];
        Relogged = [];
        Staged = [];
        FirstFile = long.MaxValue;
    }

    /// <summary>Its status when the log is durable up to <paramref name="durableLsn"/>.</summary>
    public TransactionStatus StatusAt(long durableLsn) => Phase switch
    {
        TransactionPhase.Open => TransactionStatus.Open,
        TransactionPhase.Committed => FinishLsn <= durableLsn ? TransactionStatus.Committed : TransactionStatus.Committing,
        _ => FinishLsn <= durableLsn ? TransactionStatus.Aborted : TransactionStatus.Aborting,
    };
}

/// <summary>Where a transaction is, as the container accepted it.</summary>
internal enum TransactionPhase : byte
{
    Open = 0,
    Committed = 1,
    Aborted = 2,
}

/// <summary>Why a transaction was aborted (in its abort record, for the logs and the exception's message).</summary>
internal enum AbortReason : byte
{
    None = 0,
    Requested = 1,
    TimedOut = 2,
    StreamSealed = 3,
}
