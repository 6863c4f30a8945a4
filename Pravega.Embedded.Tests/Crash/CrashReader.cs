using System.Globalization;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The child side of the reader-group crash test: reads the group's events, printing <c>EVENT n</c> for each,
/// <c>MARKER name</c> for each checkpoint it passes, and <c>CHECKPOINT name</c> once a checkpoint it started is
/// complete (durable). It starts a checkpoint every 40 events and takes a little time per event, like a consumer doing
/// work, until the parent kills it.
/// </summary>
internal static class CrashReader
{
    public const string Command = "crash-reader";
    public const string Scope = "crash";
    public const string Stream = "read";
    public const string Group = "consumers";
    private static readonly object Out = new();

    public static async Task<int> RunAsync(string root)
    {
        await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
        var group = await store.ReaderGroups.GetReaderGroupAsync(Scope, Group);
        await using var reader = store.CreateReader("child", Scope, Group, Serializers.Utf8);
        Task? checkpoint = null;
        for (int events = 0, checkpoints = 0; ;)
        {
            var read = await reader.ReadNextEventAsync(TimeSpan.FromSeconds(1));
            if (read.IsCheckpoint) Print($"MARKER {read.CheckpointName}");
            if (!read.HasEvent) continue;
            Print($"EVENT {read.Event}");
            if (++events % 5 == 0) await Task.Delay(1);
            if (events % 40 == 0 && checkpoint is not { IsCompleted: false })
            {
                string name = $"cp-{checkpoints++}";
                checkpoint = group.InitiateCheckpointAsync(name).ContinueWith(
                    t => { if (t.IsCompletedSuccessfully) Print($"CHECKPOINT {name}"); }, TaskScheduler.Default);
            }
        }
    }

    private static void Print(string line)
    {
        lock (Out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
