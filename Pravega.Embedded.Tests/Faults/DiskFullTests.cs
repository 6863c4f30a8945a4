using System.Diagnostics;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.Faults;

/// <summary>
/// A real device fault: the Tier-1 mirrors live on a small tmpfs that fills up. A write that cannot be made durable
/// fails (never acknowledged), later writes fail at once instead of hanging, the store still disposes, and the data
/// acknowledged before the fault is all there when the directories are opened again with room.
/// Needs Linux and root (mount): skipped elsewhere; CI runs as root on Linux.
/// </summary>
[Trait("Category", "Fault")]
public sealed class DiskFullTests
{
    [RootOnLinuxFact]
    public async Task A_full_disk_fails_writes_without_losing_acknowledged_events()
    {
        string mount = Path.Combine(Path.GetTempPath(), "pravega-full-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount);
        using var copy = new TempStoreDirectory();
        try
        {
            var options = StreamStoreOptions.InDirectory(mount) with { WalFileSize = 4 << 20, Tier2Directory = null };
            var acknowledged = new List<string>();
            Exception? failure = null;
            var store = await StreamStore.OpenAsync(options);
            try
            {
                await store.Streams.CreateScopeAsync("s");
                await store.Streams.CreateStreamAsync("s", "t", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(2) });
                await store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
                var reader = store.CreateReader("r", "s", "g", Serializers.Utf8); // left open: the store's disposal saves the group
                await using var writer = store.CreateEventWriter("s", "t", Serializers.Utf8);
                string padding = new('x', 2000);
                for (int i = 0; i < 20_000 && failure is null; i++)
                {
                    string e = $"{i}:{padding}";
                    try
                    {
                        await writer.WriteEventAsync($"k{i % 5}", e).WaitAsync(TimeSpan.FromSeconds(30));
                        acknowledged.Add(e);
                    }
                    catch (IOException ex)
                    {
                        failure = ex;
                    }
                }
                Assert.NotNull(failure);
                Assert.True((await reader.ReadNextEventAsync(TimeSpan.FromSeconds(5))).HasEvent, "acknowledged events stay readable");
                var again = await Assert.ThrowsAnyAsync<Exception>(() => writer.WriteEventAsync("k", "after").WaitAsync(TimeSpan.FromSeconds(30)));
                Assert.IsAssignableFrom<IOException>(again);
            }
            finally
            {
                await store.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
            Assert.NotEmpty(acknowledged);

            // Room again: the same files, copied to a disk with space.
            foreach (string dir in options.Tier1Directories)
            {
                string target = Path.Combine(copy.Root, Path.GetFileName(dir));
                Directory.CreateDirectory(target);
                foreach (string file in Directory.GetFiles(dir)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
            await using var reopened = await copy.OpenAsync();
            var events = await reopened.ReadAllAsync("s", "t", int.MaxValue);
            var read = events.Select(e => e.Event!).ToHashSet();
            Assert.All(acknowledged, e => Assert.Contains(e, read));
        }
        finally
        {
            Run("umount", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static void Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {error}");
    }
}
