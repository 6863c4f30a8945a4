namespace Pravega.Embedded.Tests.Simulation;

/// <summary>Where a simulated transaction got to, as its caller saw it.</summary>
internal enum TransactionStage
{
    /// <summary>Begin called, not known to have completed: it may not exist.</summary>
    Beginning,

    /// <summary>Begun; writes may have failed; neither commit nor abort called.</summary>
    Open,

    /// <summary>Commit called, not known to have completed: all of it visible or none.</summary>
    Committing,

    /// <summary>Commit completed: all of it visible (unless a truncation came after).</summary>
    Committed,

    /// <summary>Abort called (completed or not), or its stream's seal aborted it: never visible (an abort that did not get through leaves it open).</summary>
    Aborted,
}

/// <summary>
/// A transaction of the simulation: its events are <c>x{Index}:{i}:{Count}:padding</c>, so the check counts them per
/// transaction. Visibility is all or nothing, and once a check saw it present or absent, later checks agree (unless a
/// truncation came after its commit).
/// </summary>
internal sealed class TransactionModel(int index, string scope, string stream, int count)
{
    public int Index { get; } = index;

    public string Scope { get; } = scope;

    public string Stream { get; } = stream;

    public int Count { get; } = count;

    public TransactionStage Stage { get; set; } = TransactionStage.Beginning;

    /// <summary>Its id, once its begin completed.</summary>
    public Guid? Id { get; set; }

    /// <summary>Its abort completed (an abort that failed may have left it open).</summary>
    public bool AbortCompleted { get; set; }

    /// <summary>A truncation at the tail was called on its stream after its commit was: its events may be gone.</summary>
    public bool MaybeTruncated { get; set; }

    /// <summary>What the last check saw: present (true), absent (false), or not checked yet.</summary>
    public bool? Settled { get; set; }

    public override string ToString() => $"transaction x{Index} ({Count} events, {Stage}) on {Scope}/{Stream}";
}
