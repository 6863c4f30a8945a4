using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>The simulated device keeps the POSIX durability contract to the letter, and its faults do what they say.</summary>
public sealed class SimulatedDeviceTests
{
    private const string Dir = "/data/tier1-0";
    private const string FilePath = "/data/tier1-0/000001.wal";
    private const int S = SimulatedDevice.SectorSize;

    private static SimulatedDevice NewDevice(int seed = 1)
    {
        var device = new SimulatedDevice(new Random(seed));
        device.CreateDirectory(Dir);
        return device;
    }

    /// <summary>Creates a file whose directory entry is durable.</summary>
    private static IDeviceFile CreateDurable(SimulatedDevice device, string path = FilePath)
    {
        var file = device.OpenFile(path, DeviceOpenMode.CreateOrTruncate);
        device.SyncDirectory(Path.GetDirectoryName(path)!);
        return file;
    }

    private static byte[] Fill(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    private static byte[] ReadAll(SimulatedDevice device, string path = FilePath)
    {
        using var file = device.OpenFile(path, DeviceOpenMode.OpenExisting);
        var bytes = new byte[file.Length];
        Assert.Equal(bytes.Length, file.Read(bytes, 0));
        return bytes;
    }

    [Fact]
    public void Flushed_bytes_survive_every_power_failure_and_unflushed_ones_leave_them_alone()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var device = NewDevice();
            using (var file = CreateDurable(device))
            {
                file.Write(Fill(3000, 7), 0);
                file.Flush();
                file.Write(Fill(1000, 9), 3000);
            }

            device.PowerFail(new Random(seed));

            byte[] bytes = ReadAll(device);
            Assert.True(bytes.Length >= 3000, $"seed {seed}: {bytes.Length} bytes");
            Assert.All(bytes[..3000], b => Assert.Equal(7, b));
            Assert.All(bytes[3000..], b => Assert.Equal(9, b));
        }
    }

    private enum Fate
    {
        AllDropped,
        AllKept,
        Prefix,
        Torn,
        Reordered,
    }

    /// <summary>Four unflushed writes of two sectors each (values 1..4) and what a power failure with the seed left of them.</summary>
    private static (Fate Fate, byte[] Image) FourUnflushedWritesThenPowerFail(int seed)
    {
        var device = NewDevice();
        using (var file = CreateDurable(device))
        {
            file.Flush();
            for (int i = 0; i < 4; i++) file.Write(Fill(2 * S, (byte)(i + 1)), i * 2 * S);
        }
        device.PowerFail(new Random(seed));

        var image = new byte[8 * S];
        using (var file = device.OpenFile(FilePath, DeviceOpenMode.OpenExisting)) file.Read(image, 0);
        var sectors = new int[4];
        for (int i = 0; i < 4; i++)
        {
            for (int s = 0; s < 2; s++)
            {
                byte[] sector = image[((i * 2 + s) * S)..((i * 2 + s + 1) * S)];
                Assert.True(sector.All(b => b == 0) || sector.All(b => b == i + 1), $"seed {seed}: sector {i * 2 + s} is mixed");
                if (sector[0] != 0) sectors[i] |= 1 << s;
            }
            // A torn write keeps a prefix of its sectors.
            Assert.NotEqual(2, sectors[i]);
        }
        bool[] full = [.. sectors.Select(s => s == 3)];
        bool[] none = [.. sectors.Select(s => s == 0)];
        Fate fate = full.All(f => f) ? Fate.AllKept
            : none.All(n => n) ? Fate.AllDropped
            : sectors.Contains(1) ? Fate.Torn
            : Enumerable.Range(0, 3).Any(i => none[i] && !none[i + 1]) ? Fate.Reordered
            : Fate.Prefix;
        return (fate, image);
    }

    [Fact]
    public void Unflushed_writes_are_dropped_kept_torn_or_reordered_by_seed_and_the_same_seed_gives_the_same_outcome()
    {
        var seen = new HashSet<Fate>();
        for (int seed = 0; seed < 200; seed++)
        {
            var (fate, image) = FourUnflushedWritesThenPowerFail(seed);
            var (again, replay) = FourUnflushedWritesThenPowerFail(seed);
            Assert.Equal(fate, again);
            Assert.Equal(image, replay);
            seen.Add(fate);
        }
        Assert.Equal(Enum.GetValues<Fate>().ToHashSet(), seen);
    }

    [Fact]
    public void An_unsynced_create_can_be_lost_and_a_synced_one_cannot()
    {
        var outcomes = new HashSet<bool>();
        for (int seed = 0; seed < 40; seed++)
        {
            var device = NewDevice();
            using (var synced = CreateDurable(device, Dir + "/synced")) synced.Flush();
            using (var file = device.OpenFile(Dir + "/unsynced", DeviceOpenMode.CreateOrTruncate))
            {
                file.Write(Fill(10, 1), 0);
                file.Flush();
            }
            Assert.Equal(1, device.PendingEntryChanges);

            device.PowerFail(new Random(seed));

            Assert.True(device.FileExists(Dir + "/synced"));
            Assert.True(device.DirectoryExists(Dir));
            bool kept = device.FileExists(Dir + "/unsynced");
            if (kept) Assert.Equal(Fill(10, 1), ReadAll(device, Dir + "/unsynced"));
            outcomes.Add(kept);
        }
        Assert.Equal([false, true], outcomes.Order());
    }

    [Fact]
    public void An_unsynced_rename_happens_entirely_or_not_at_all()
    {
        var outcomes = new HashSet<bool>();
        for (int seed = 0; seed < 40; seed++)
        {
            var device = NewDevice();
            using (var a = CreateDurable(device, Dir + "/a"))
            {
                a.Write(Fill(100, 1), 0);
                a.Flush();
            }
            using (var b = CreateDurable(device, Dir + "/b"))
            {
                b.Write(Fill(50, 2), 0);
                b.Flush();
            }
            device.RenameFile(Dir + "/a", Dir + "/b");
            Assert.Equal(["b"], device.ListFiles(Dir));

            device.PowerFail(new Random(seed));

            bool happened = !device.FileExists(Dir + "/a");
            if (happened)
            {
                Assert.Equal(["b"], device.ListFiles(Dir));
                Assert.Equal(Fill(100, 1), ReadAll(device, Dir + "/b"));
            }
            else
            {
                Assert.Equal(Fill(100, 1), ReadAll(device, Dir + "/a"));
                Assert.Equal(Fill(50, 2), ReadAll(device, Dir + "/b"));
            }
            outcomes.Add(happened);
        }
        Assert.Equal([false, true], outcomes.Order());
    }

    [Fact]
    public void A_synced_rename_and_delete_survive_and_an_unsynced_delete_can_be_undone()
    {
        var undone = new HashSet<bool>();
        for (int seed = 0; seed < 40; seed++)
        {
            var device = NewDevice();
            CreateDurable(device, Dir + "/x").Dispose();
            CreateDurable(device, Dir + "/y").Dispose();
            device.RenameFile(Dir + "/x", Dir + "/z");
            device.SyncDirectory(Dir);
            device.DeleteFile(Dir + "/y");

            device.PowerFail(new Random(seed));

            Assert.False(device.FileExists(Dir + "/x"));
            Assert.True(device.FileExists(Dir + "/z"));
            undone.Add(device.FileExists(Dir + "/y"));
        }
        Assert.Equal([false, true], undone.Order());
    }

    [Fact]
    public void A_crash_keeps_unflushed_bytes_and_unsynced_entries_and_a_later_power_failure_can_still_lose_them()
    {
        var lost = new HashSet<bool>();
        for (int seed = 0; seed < 40; seed++)
        {
            var device = NewDevice();
            var old = device.OpenFile(FilePath, DeviceOpenMode.CreateOrTruncate);
            old.Write(Fill(700, 3), 0);
            device.RenameFile(FilePath, Dir + "/renamed");

            device.Crash();

            Assert.Equal(["renamed"], device.ListFiles(Dir));
            Assert.Equal(Fill(700, 3), ReadAll(device, Dir + "/renamed"));
            Assert.Throws<IOException>(() => old.Write(Fill(1, 1), 0));

            device.PowerFail(new Random(seed));
            lost.Add(!device.FileExists(Dir + "/renamed") || !ReadAll(device, Dir + "/renamed").SequenceEqual(Fill(700, 3)));
        }
        Assert.Equal([false, true], lost.Order());
    }

    [Fact]
    public void Handles_from_before_a_crash_or_power_failure_are_dead_and_disposed_ones_throw_ObjectDisposed()
    {
        foreach (bool powerFail in new[] { false, true })
        {
            var device = NewDevice();
            var file = CreateDurable(device);
            file.Write(Fill(10, 1), 0);
            file.Flush();
            if (powerFail) device.PowerFail(new Random(0));
            else device.Crash();

            Assert.Throws<IOException>(() => file.Length);
            Assert.Throws<IOException>(() => file.Read(new byte[1], 0));
            Assert.Throws<IOException>(() => file.Write(Fill(1, 1), 0));
            Assert.Throws<IOException>(file.Flush);
            Assert.Throws<IOException>(() => file.Allocate(100));
            Assert.Throws<IOException>(() => file.Map(10));
            file.Dispose(); // does nothing, does not throw

            var fresh = device.OpenFile(FilePath, DeviceOpenMode.OpenExisting);
            Assert.Equal(10, fresh.Length);
            fresh.Dispose();
            Assert.Throws<ObjectDisposedException>(() => fresh.Length);
            Assert.Throws<ObjectDisposedException>(() => fresh.Write(Fill(1, 1), 0));
        }
    }

    [Fact]
    public void A_failed_flush_throws_EIO_keeps_the_bytes_visible_and_they_can_be_lost_although_a_later_flush_succeeds()
    {
        var lost = new HashSet<bool>();
        for (int seed = 0; seed < 40; seed++)
        {
            var device = NewDevice(seed);
            using var file = CreateDurable(device);
            file.Write(Fill(S, 1), 0);
            file.Write(Fill(S, 2), S);
            device.FailFlush(path => path == FilePath);

            var error = Assert.Throws<IOException>(file.Flush);
            Assert.Equal(5, error.HResult);
            Assert.Equal([.. Fill(S, 1), .. Fill(S, 2)], ReadAll(device));
            Assert.True(device.Files().Single(f => f.Path == FilePath).FlushFailed);
            file.Flush(); // succeeds, and proves nothing
            Assert.Equal([.. Fill(S, 1), .. Fill(S, 2)], ReadAll(device));

            byte[] durable = device.ReadDurable(FilePath)!;
            device.PowerFail(new Random(seed));
            byte[] after = ReadAll(device);
            Assert.Equal(durable, after);
            lost.Add(after.Length < 2 * S || after.Contains((byte)0));
        }
        Assert.Equal([false, true], lost.Order());
    }

    [Fact]
    public void After_a_failed_flush_dropping_caches_shows_what_the_disk_has()
    {
        // Seeds until one loses something, so the test shows the loss without a power failure.
        for (int seed = 0; ; seed++)
        {
            var device = NewDevice(seed);
            using var file = CreateDurable(device);
            file.Write(Fill(S, 1), 0);
            device.FailFlush(_ => true);
            Assert.Throws<IOException>(file.Flush);
            if (device.ReadDurable(FilePath)!.Length == S) continue;

            Assert.Equal(Fill(S, 1), ReadAll(device));
            device.DropCaches();
            Assert.Empty(ReadAll(device));
            return;
        }
    }

    [Fact]
    public void Read_faults_fail_reads_that_touch_the_range_not_mappings_and_a_rewrite_remaps_them()
    {
        var device = NewDevice();
        using var file = CreateDurable(device);
        file.Write(Fill(4 * S, 5), 0);
        file.Flush();
        device.FailReads(FilePath, 1000, 10);

        var buffer = new byte[S];
        Assert.Equal(S, file.Read(buffer, 0));
        Assert.Equal(5, Assert.Throws<IOException>(() => file.Read(buffer, 900)).HResult);
        Assert.Equal(S, file.Read(buffer, 1010));
        using (var mapping = file.Map(4 * S)) Assert.Equal(5, mapping.Span[1005]);

        device.Crash();
        using var reopened = device.OpenFile(FilePath, DeviceOpenMode.OpenExisting);
        Assert.Throws<IOException>(() => reopened.Read(buffer, 900));
        reopened.Write(Fill(20, 6), 995);
        Assert.Equal(S, reopened.Read(buffer, 900));
        Assert.Equal(6, buffer[100]);
    }

    [Fact]
    public void Corrupting_a_sector_flips_bytes_of_that_sector_only_in_both_images_deterministically()
    {
        byte[] Corrupt(int seed, out IReadOnlyList<long> flipped)
        {
            var device = NewDevice(seed);
            using var file = CreateDurable(device);
            file.Write(Fill(4 * S, 5), 0);
            file.Flush();
            using var mapping = file.Map(4 * S);
            flipped = device.CorruptSector(FilePath, S + 10);
            Assert.Equal(device.ReadDurable(FilePath), device.ReadVolatile(FilePath));
            Assert.Equal(device.ReadVolatile(FilePath), mapping.Span.ToArray());
            device.PowerFail(new Random(seed));
            return ReadAll(device);
        }

        byte[] image = Corrupt(3, out var flipped);
        Assert.NotEmpty(flipped);
        for (int i = 0; i < image.Length; i++)
        {
            if (flipped.Contains(i)) Assert.NotEqual(5, image[i]);
            else Assert.Equal(5, image[i]);
        }
        Assert.All(flipped, offset => Assert.InRange(offset, S, 2 * S - 1));
        Assert.Equal(image, Corrupt(3, out _));
    }

    [Fact]
    public void A_misdirected_write_lands_elsewhere_on_disk_while_the_page_cache_shows_it_in_place()
    {
        var device = NewDevice();
        using var file = CreateDurable(device);
        file.Allocate(8 * S);
        file.Flush();
        device.MisdirectNextWrite(path => path == FilePath, sectorShift: 2);
        file.Write(Fill(S, 7), 0);
        file.Write(Fill(S, 8), 4 * S); // only the next write is misdirected
        file.Flush();

        byte[] expectedDisk = new byte[8 * S];
        Fill(S, 7).CopyTo(expectedDisk, 2 * S);
        Fill(S, 8).CopyTo(expectedDisk, 4 * S);
        Assert.Equal(7, ReadAll(device)[0]);
        Assert.Equal(expectedDisk, device.ReadDurable(FilePath));

        device.DropCaches();
        Assert.Equal(expectedDisk, ReadAll(device));
        device.PowerFail(new Random(0));
        Assert.Equal(expectedDisk, ReadAll(device));
    }

    [Fact]
    public void A_misdirected_write_with_a_drawn_shift_moves_whole_sectors_and_never_before_the_start()
    {
        for (int seed = 0; seed < 30; seed++)
        {
            var device = NewDevice(seed);
            using var file = CreateDurable(device);
            device.MisdirectNextWrite(_ => true);
            file.Write(Fill(10, 9), 3);
            file.Flush();
            byte[] disk = device.ReadDurable(FilePath)!;
            int landed = Array.IndexOf(disk, (byte)9);
            Assert.True(landed > 3 && (landed - 3) % S == 0, $"seed {seed}: landed at {landed}");
        }
    }

    [Fact]
    public void Allocate_fails_with_disk_full_when_armed_and_otherwise_extends_the_file_with_zeros()
    {
        var device = NewDevice();
        using var file = CreateDurable(device);
        device.FailAllocate(path => path.EndsWith(".wal", StringComparison.Ordinal));

        var error = Assert.Throws<IOException>(() => file.Allocate(1 << 20));
        Assert.Equal(SimulatedDevice.DiskFullHResult, error.HResult);
        Assert.Equal(0, file.Length);

        file.Allocate(1 << 20);
        Assert.Equal(1 << 20, file.Length);
        file.Allocate(10); // never shrinks
        Assert.Equal(1 << 20, file.Length);
        file.Flush();
        Assert.Equal(1 << 20, device.ReadDurable(FilePath)!.Length);
    }

    [Fact]
    public void A_mapping_shows_later_writes_at_once_and_a_write_beyond_it_is_a_caller_bug()
    {
        var device = NewDevice();
        using var file = CreateDurable(device);
        file.Allocate(4 * S);
        var mapping = file.Map(4 * S);
        file.Write(Fill(10, 4), 100);

        Assert.Equal(4, mapping.Span[105]);
        Assert.Equal(4, mapping.Memory.Span[109]);
        unsafe
        {
            using var pin = mapping.Memory.Pin();
            Assert.Equal(4, ((byte*)pin.Pointer)[100]);
        }
        Assert.Throws<InvalidOperationException>(() => file.Write(Fill(10, 4), 4 * S - 5));
        Assert.Throws<InvalidOperationException>(() => file.Map(8 * S));
        ((IDisposable)mapping).Dispose();
        Assert.Throws<ObjectDisposedException>(() => mapping.Span.Length);

        file.Write(Fill(10, 4), 4 * S - 5);
        Assert.Equal(4 * S + 5, file.Length);
    }

    [Fact]
    public void A_directory_lock_is_exclusive_until_disposed_or_a_crash_and_a_stale_lock_releases_nothing()
    {
        var device = NewDevice();
        var first = device.LockDirectory("/data");
        Assert.Contains(DirectoryLock.FileName, device.ListFiles("/data"));
        var error = Assert.Throws<DataDirectoryLockedException>(() => device.LockDirectory("/data/"));
        Assert.Contains("/data", error.Message, StringComparison.Ordinal);
        using (device.LockDirectory("/other")) { }

        first.Dispose();
        var second = device.LockDirectory("/data");
        device.Crash();
        using var third = device.LockDirectory("/data");
        second.Dispose(); // from before the crash: must not release the third
        Assert.Throws<DataDirectoryLockedException>(() => device.LockDirectory("/data"));
    }

    [Fact]
    public void Paths_are_plain_keys_directories_are_explicit_and_listings_are_ordinal()
    {
        var device = new SimulatedDevice(new Random(0));
        Assert.Throws<DirectoryNotFoundException>(() => device.OpenFile("/a/b/f", DeviceOpenMode.CreateOrTruncate));
        device.CreateDirectory("/a/b/");
        Assert.True(device.DirectoryExists("/a") && device.DirectoryExists("/a/b"));
        foreach (string name in new[] { "b2", "B1", "a" }) device.OpenFile("/a/b/" + name, DeviceOpenMode.CreateOrTruncate).Dispose();
        device.OpenFile("/a/top", DeviceOpenMode.CreateOrTruncate).Dispose();

        Assert.Equal(["B1", "a", "b2"], device.ListFiles("/a/b/"));
        Assert.Equal(["top"], device.ListFiles("/a"));
        Assert.Empty(device.ListFiles("/missing"));
        Assert.Throws<FileNotFoundException>(() => device.OpenFile("/a/none", DeviceOpenMode.OpenExisting));
        Assert.Throws<FileNotFoundException>(() => device.RenameFile("/a/none", "/a/x"));
        device.DeleteFile("/a/none"); // nothing happens

        // New directories are durable at once; files in them are not until the directory is synced.
        device.PowerFail(new Random(0));
        Assert.True(device.DirectoryExists("/a/b"));
    }

    [Fact]
    public void Truncating_an_open_file_is_pending_like_a_write()
    {
        var kept = new HashSet<long>();
        for (int seed = 0; seed < 30; seed++)
        {
            var device = NewDevice();
            using (var file = CreateDurable(device))
            {
                file.Write(Fill(100, 1), 0);
                file.Flush();
            }
            device.OpenFile(FilePath, DeviceOpenMode.CreateOrTruncate).Dispose();
            Assert.Empty(ReadAll(device));
            device.PowerFail(new Random(seed));
            kept.Add(ReadAll(device).Length);
        }
        Assert.Equal([0L, 100L], kept.Order());
    }

    [Fact]
    public void A_fault_plan_draws_faults_for_the_files_it_applies_to_and_replays_with_the_seed()
    {
        static string Run(int seed)
        {
            var device = NewDevice(seed);
            var plan = new SimulatedFaultPlan { Applies = p => p.EndsWith("m1", StringComparison.Ordinal), FlushFailure = 0.3, ReadFailure = 0.3 };
            device.FaultPlan = plan;
            using var m0 = CreateDurable(device, Dir + "/m0");
            using var m1 = CreateDurable(device, Dir + "/m1");
            var trace = new System.Text.StringBuilder();
            var buffer = new byte[100];
            for (int i = 0; i < 40; i++)
            {
                foreach (var file in new[] { m0, m1 })
                {
                    file.Write(Fill(100, (byte)i), i * 100);
                    try
                    {
                        file.Flush();
                        file.Read(buffer, i * 50);
                        trace.Append('.');
                    }
                    catch (IOException)
                    {
                        Assert.Same(m1, file);
                        trace.Append('x');
                    }
                }
            }
            return trace.ToString();
        }

        string trace = Run(11);
        Assert.Contains("x", trace, StringComparison.Ordinal);
        Assert.Equal(trace, Run(11));
    }

    [Fact]
    public void Concurrent_writers_on_several_files_lose_nothing_they_flushed()
    {
        var device = NewDevice();
        var files = Enumerable.Range(0, 4).Select(i => CreateDurable(device, $"{Dir}/m{i}")).ToArray();
        foreach (var file in files) file.Allocate(4 * 400 * 64);
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 400; i++)
            {
                foreach (var file in files) file.Write(Fill(64, (byte)(t + 1)), ((t * 400) + i) * 64L);
                if (i % 50 == 0) files[t].Flush();
            }
        });
        foreach (var file in files) file.Flush();

        device.PowerFail(new Random(5));

        for (int m = 0; m < 4; m++)
        {
            byte[] bytes = ReadAll(device, $"{Dir}/m{m}");
            Assert.Equal(4 * 400 * 64, bytes.Length);
            for (int b = 0; b < bytes.Length; b++) Assert.Equal(b / (400 * 64) + 1, bytes[b]);
        }
    }
}
