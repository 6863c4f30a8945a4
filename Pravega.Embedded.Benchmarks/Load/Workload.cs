namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>
/// One closed-loop write workload: <see cref="InFlight"/> concurrent callers each write an event of
/// <see cref="EventSize"/> bytes and wait for its acknowledgement before writing the next, through
/// <see cref="Writers"/> writers (caller k uses writer k mod that).
/// </summary>
/// <remarks>
/// With <see cref="Rounds"/> above 1, the measured events are split into rounds and the systems take turns (the first
/// system rotating), so that drift in the machine's load hits them alike. Only for W1: in the throughput workloads a
/// pause would let the store prepare its next log file while idle, which sustained load does not allow.
/// </remarks>
internal sealed record Workload(string Name, string Description, int EventSize, int InFlight, int Writers, int Keys, int Events, int WarmupEvents, int Rounds)
{
    /// <summary>The performance issue's five workloads, sized so a full load run stays within a few minutes on 2 cores.</summary>
    public static IReadOnlyList<Workload> Defaults { get; } =
    [
        new("W1", "1 writer awaiting each 100 B event", 100, InFlight: 1, Writers: 1, Keys: 1, Events: 20_000, WarmupEvents: 2_000, Rounds: 4),
        new("W2", "1 KiB events, 256 in flight", 1024, InFlight: 256, Writers: 1, Keys: 16, Events: 500_000, WarmupEvents: 50_000, Rounds: 1),
        new("W3", "1 MiB events, 8 in flight", 1 << 20, InFlight: 8, Writers: 1, Keys: 8, Events: 2_048, WarmupEvents: 128, Rounds: 1),
        new("W4", "100 B events, 64 writers each awaiting", 100, InFlight: 64, Writers: 64, Keys: 64, Events: 300_000, WarmupEvents: 30_000, Rounds: 1),
        new("W5", "100 B events, 16,384 in flight", 100, InFlight: 16_384, Writers: 1, Keys: 64, Events: 2_000_000, WarmupEvents: 200_000, Rounds: 1),
    ];

    /// <summary>The same workload with <paramref name="events"/> measured events and a tenth of that to warm up.</summary>
    public Workload WithEvents(int events) => this with { Events = events, WarmupEvents = Math.Max(1, events / 10), Rounds = Math.Min(Rounds, events) };
}

/// <summary>What is measured.</summary>
internal enum SystemKind
{
    /// <summary>The raw baseline appending to a growing file: the baseline, what targets are measured against.</summary>
    RawGrowing,

    /// <summary>The raw baseline on a pre-zeroed, recycled file: the best case of append + fdatasync here.</summary>
    RawPreZeroed,

    /// <summary>The store's WAL alone, with the store's file size and zero-filling unless told otherwise (diagnosis).</summary>
    Wal,

    /// <summary>The store through its public API, a <c>Fixed(1)</c> stream.</summary>
    Store,

    /// <summary>The store through its public API, a <c>Fixed(4)</c> stream.</summary>
    Store4,
}
