using System.Diagnostics.Metrics;

namespace Pravega.Embedded;

/// <summary>
/// The library's one <see cref="Meter"/>, named <c>Pravega.Embedded</c>, with its instruments created once. Recording
/// costs next to nothing while nobody listens (OpenTelemetry, dotnet-counters, a <see cref="MeterListener"/>).
/// </summary>
internal static class Telemetry
{
    public const string Name = "Pravega.Embedded";

    public static readonly Meter Meter = new(Name);

    /// <summary>Duration of one group commit: the write and fdatasync of one batch in every mirror.</summary>
    public static readonly Histogram<double> CommitDuration =
        Meter.CreateHistogram<double>("pravega.wal.commit.duration", "ms", "Time to write and fdatasync one group commit in every mirror.");

    /// <summary>Bytes made durable in the WAL (per mirror).</summary>
    public static readonly Counter<long> WalBytes =
        Meter.CreateCounter<long>("pravega.wal.bytes", "By", "Bytes made durable in the write-ahead log, per mirror.");

    /// <summary>Records made durable in the WAL.</summary>
    public static readonly Counter<long> WalRecords =
        Meter.CreateCounter<long>("pravega.wal.records", "{record}", "Records (appends and metadata changes) made durable.");

    /// <summary>Scales made by the auto-scaler, tagged <c>kind</c> = <c>split</c> or <c>merge</c>.</summary>
    public static readonly Counter<long> Scales =
        Meter.CreateCounter<long>("pravega.autoscale.scales", "{scale}", "Splits and merges decided by the auto-scaler.");
}
