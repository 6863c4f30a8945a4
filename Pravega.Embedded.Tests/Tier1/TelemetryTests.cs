using System.Diagnostics.Metrics;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Group_commits_report_their_duration_bytes_and_records_on_the_Pravega_Embedded_meter()
    {
        long bytes = 0, records = 0, commits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Pravega.Embedded") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "pravega.wal.bytes") Interlocked.Add(ref bytes, value);
            if (instrument.Name == "pravega.wal.records") Interlocked.Add(ref records, value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "pravega.wal.commit.duration" && value >= 0) Interlocked.Increment(ref commits);
        });
        listener.Start();

        using var dir = new TempStoreDirectory();
        await using (var store = await dir.OpenAsync())
        {
            await store.CreateStreamAsync("s", "t", segments: 1);
            await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
            for (int i = 0; i < 10; i++) await writer.WriteEventAsync("k", new string('v', 100));
        }

        // Other tests may run stores at the same time: at least this test's records are counted.
        Assert.True(Interlocked.Read(ref records) >= 12, $"records {records}"); // scope, stream, 10 events
        Assert.True(Interlocked.Read(ref bytes) >= 10 * 100, $"bytes {bytes}");
        Assert.True(Interlocked.Read(ref commits) >= 1);
    }
}
