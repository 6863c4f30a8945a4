namespace Pravega.Embedded;

/// <summary>The state of a transaction (<see cref="ITransaction{T}.CheckStatusAsync"/>).</summary>
public enum TransactionStatus
{
    /// <summary>Accepting writes.</summary>
    Open,

    /// <summary>Commit started: its events will all become visible; writes are refused.</summary>
    Committing,

    /// <summary>All its events are visible.</summary>
    Committed,

    /// <summary>Abort started (explicitly or by timeout): none of its events will become visible.</summary>
    Aborting,

    /// <summary>None of its events became visible, and none will.</summary>
    Aborted,
}
