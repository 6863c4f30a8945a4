using Pravega.Embedded.Tests.Simulation;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>
/// A sector that goes bad after recovery's scan read it (found by the store simulation, e.g. seeds 90, 93, 121, 134 in
/// its first runs, with new bad sectors drawn on reads of one mirror during the open): recovery then copies the last
/// commit (or a repair) from that mirror, the read fails with EIO, and the store did not open although the other
/// mirrors hold identical copies. The chunk is now read from a mirror the scan found identical.
/// </summary>
public sealed class WalRecoveryLateReadFaultTests
{
    [Fact]
    public async Task A_sector_of_the_chosen_copy_that_goes_bad_after_the_scan_is_read_from_another_mirror()
    {
        var (device, options) = Setup(1);
        string[] dirs = [.. options.Directories];
        var payloads = new List<byte[]>();
        var log = WriteAheadLog.Open(options, static (_, _, _) => { }, static _ => { });
        for (int i = 0; i < 20; i++)
        {
            var payload = WalHarness.Payload(i, 300 + i);
            payloads.Add(payload);
            WalHarness.Append(log, payload, out _);
        }
        await log.FlushAsync();
        await log.DisposeAsync();

        var replayed = await ReopenWithMirror0FailingAfterTheScanAsync(device, options);
        Assert.Equal(payloads.Count, replayed.Count);
        for (int i = 0; i < payloads.Count; i++) Assert.Equal(payloads[i], replayed[i]);
    }

    /// <summary>
    /// The same, when the copy that goes bad is the only one holding the last records (the others lost them): found by
    /// the 10,000-seed simulation (seeds 25, 748, 1586, 1964, 4933, ...). The scan keeps such frames in memory, so the
    /// repairs of the other mirrors still have them.
    /// </summary>
    [Fact]
    public async Task The_only_copy_of_a_frame_going_bad_after_the_scan_still_repairs_the_other_mirrors()
    {
        var (device, options) = Setup(2);
        string[] dirs = [.. options.Directories];
        var payloads = new List<byte[]>();
        var log = WriteAheadLog.Open(options, static (_, _, _) => { }, static _ => { });
        LogAddress last = default;
        for (int i = 0; i < 20; i++)
        {
            var payload = WalHarness.Payload(i, 300 + i);
            payloads.Add(payload);
            WalHarness.Append(log, payload, out last);
            await log.FlushAsync(); // one commit each
        }
        await log.DisposeAsync();
        foreach (string dir in dirs[1..]) // the last record lost in mirrors 1 and 2 (as an unflushed tail is)
        {
            using var file = device.OpenFile(dir + "/" + WalFormat.FileName(1), DeviceOpenMode.OpenExisting);
            file.Write(new byte[WalFormat.FrameHeaderSize + payloads[^1].Length], last.Position - WalFormat.FrameHeaderSize);
            file.Flush();
        }

        var replayed = await ReopenWithMirror0FailingAfterTheScanAsync(device, options);
        Assert.Equal(payloads.Count, replayed.Count);
        var again = new List<byte[]>();
        log = WriteAheadLog.Open(options with { Directories = dirs[1..] }, (_, _, payload) => again.Add(payload.ToArray()), static _ => { });
        await log.DisposeAsync();
        Assert.Equal(payloads.Count, again.Count); // mirrors 1 and 2 were repaired with the record only mirror 0 had
        Assert.Equal(payloads[^1], again[^1]);
    }

    /// <summary>
    /// A sector holding the end of a frame another mirror has too and the start of one found in the bad copy only: the
    /// repair of a mirror that lost both must take the first part from the mirror that has it and the second from the
    /// frames kept in memory. Before, neither source covered the whole sector and the store did not open (found by the
    /// simulation with small WAL files, seed 2833).
    /// </summary>
    [Fact]
    public async Task A_sector_shared_by_a_frame_held_elsewhere_and_one_held_nowhere_else_is_put_together()
    {
        var (device, options) = Setup(3);
        string[] dirs = [.. options.Directories];
        var payloads = new List<byte[]>();
        var addresses = new List<LogAddress>();
        var log = WriteAheadLog.Open(options, static (_, _, _) => { }, static _ => { });
        for (int i = 0; i < 12; i++)
        {
            var payload = WalHarness.Payload(i, 300 + i);
            payloads.Add(payload);
            WalHarness.Append(log, payload, out var address);
            addresses.Add(address);
            await log.FlushAsync();
        }
        await log.DisposeAsync();
        // Mirror 1 lost the last record, mirror 2 the last two (unflushed tails of different lengths).
        for (int m = 1; m <= 2; m++)
        {
            int from = addresses[^m].Position - WalFormat.FrameHeaderSize;
            using var file = device.OpenFile(dirs[m] + "/" + WalFormat.FileName(1), DeviceOpenMode.OpenExisting);
            file.Write(new byte[(64 << 10) - from], from);
            file.Flush();
        }
        int secondLastEnd = addresses[^1].Position - WalFormat.FrameHeaderSize;
        Assert.NotEqual(0, secondLastEnd % SimulatedDevice.SectorSize); // the two frames share a sector

        var replayed = await ReopenWithMirror0FailingAfterTheScanAsync(device, options);
        Assert.Equal(payloads.Count, replayed.Count);
        foreach (string dir in dirs[1..])
        {
            var again = new List<byte[]>();
            log = WriteAheadLog.Open(options with { Directories = [dir] }, (_, _, payload) => again.Add(payload.ToArray()), static _ => { });
            await log.DisposeAsync();
            Assert.Equal(payloads.Count, again.Count); // each lost mirror was repaired with both records
            Assert.Equal(payloads[^2], again[^2]);
            Assert.Equal(payloads[^1], again[^1]);
        }
    }

    /// <summary>
    /// Reopens the log with mirror 0's copy of file 1 reading fine for the inventory and the scan (its first two opens)
    /// and failing every read after; checks that recovery did try that copy after the scan, and returns what it replayed.
    /// </summary>
    private static async Task<List<byte[]>> ReopenWithMirror0FailingAfterTheScanAsync(SimulatedDevice device, WalOptions options)
    {
        var flaky = new LateFailingDevice(device, options.Directories[0] + "/" + WalFormat.FileName(1), healthyOpens: 2);
        var replayed = new List<byte[]>();
        var log = WriteAheadLog.Open(options with { Device = flaky }, (_, _, payload) => replayed.Add(payload.ToArray()), static _ => { });
        await log.DisposeAsync();
        Assert.True(flaky.FailedReads > 0, "the copy from mirror 0 was attempted after the scan");
        return replayed;
    }

    private static (SimulatedDevice Device, WalOptions Options) Setup(int seed)
    {
        var device = new SimulatedDevice(new Random(seed));
        return (device, new WalOptions { Directories = ["/t/tier1-0", "/t/tier1-1", "/t/tier1-2"], FileSize = 64 << 10, PreZeroFiles = false, Device = device });
    }

    /// <summary>Handles of one path opened after the first <c>healthyOpens</c> fail every read with EIO.</summary>
    private sealed class LateFailingDevice(SimulatedDevice inner, string path, int healthyOpens) : IStorageDevice
    {
        private int _opens;

        public int FailedReads { get; set; }

        public IDeviceFile OpenFile(string p, DeviceOpenMode mode)
        {
            var file = inner.OpenFile(p, mode);
            return p == path && ++_opens > healthyOpens ? new FailingFile(file, this) : file;
        }

        public void CreateDirectory(string p) => inner.CreateDirectory(p);

        public bool DirectoryExists(string p) => inner.DirectoryExists(p);

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public IReadOnlyList<string> ListDirectories(string directory) => inner.ListDirectories(directory);

        public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

        public bool FileExists(string p) => inner.FileExists(p);

        public void DeleteFile(string p) => inner.DeleteFile(p);

        public void RenameFile(string source, string destination) => inner.RenameFile(source, destination);

        public void SyncDirectory(string p) => inner.SyncDirectory(p);

        public IDisposable LockDirectory(string p) => inner.LockDirectory(p);

        private sealed class FailingFile(IDeviceFile file, LateFailingDevice owner) : IDeviceFile
        {
            public string Path => file.Path;

            public long Length => file.Length;

            public int Read(Span<byte> destination, long offset)
            {
                owner.FailedReads++;
                throw new IOException($"read of {destination.Length} bytes at {offset} failed (errno 5, a sector gone bad after the scan).");
            }

            public void Write(ReadOnlySpan<byte> source, long offset) => file.Write(source, offset);

            public void Flush() => file.Flush();

            public void Allocate(long length) => file.Allocate(length);

            public DeviceMapping Map(int length) => file.Map(length);

            public void Dispose() => file.Dispose();
        }
    }
}
