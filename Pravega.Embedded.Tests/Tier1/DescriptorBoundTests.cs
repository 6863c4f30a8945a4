using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>Tests that count what the whole process holds (open descriptors), so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(ProcessWideCounting), DisableParallelization = true)]
public sealed class ProcessWideCounting;

/// <summary>Item 6 of the hardening issue: descriptors and mappings stay bounded however long the log grows.</summary>
[Collection(nameof(ProcessWideCounting))]
public sealed class DescriptorBoundTests
{
    /// <summary>Item 6: descriptors and mappings used to grow with the log (four per file); now they stay bounded.</summary>
    [Fact]
    public async Task Open_files_and_mappings_stay_bounded_however_many_log_files_there_are()
    {
        using var h = new WalHarness(fileSize: 64 << 10);
        await using (var log = h.Open())
            for (int i = 0; i < 120; i++) await h.AppendDurablyAsync(log, WalHarness.Payload(i, 30_000)); // ~60 files
        Assert.True(h.LastSequence(0) >= 50);

        await using (var log = WriteAheadLog.Open(h.Options with { MappedFileLimit = 4 }, (_, _, _) => { }, _ => { }))
        {
            foreach (var r in h.Written) Assert.True(WalHarness.Read(log, r.Address, r.Payload.Length).AsSpan().SequenceEqual(r.Payload));
            Assert.True(log.MappedFileCount <= 5, $"{log.MappedFileCount} files mapped");
        }

        // Mapped, a sealed file holds no descriptor: every file mapped at once, and descriptors do not follow.
        int descriptorsBefore = OpenDescriptors();
        await using (var log = WriteAheadLog.Open(h.Options with { MappedFileLimit = 1_000 }, (_, _, _) => { }, _ => { }))
        {
            foreach (var r in h.Written) Assert.True(WalHarness.Read(log, r.Address, r.Payload.Length).AsSpan().SequenceEqual(r.Payload));
            Assert.True(log.MappedFileCount >= 50);
            if (descriptorsBefore > 0) Assert.InRange(OpenDescriptors() - descriptorsBefore, 0, 12); // locks and write handles
        }
    }

    private static int OpenDescriptors() => Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0;
}
