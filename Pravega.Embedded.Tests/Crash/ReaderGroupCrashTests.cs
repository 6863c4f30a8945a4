using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// A reader-group consumer killed with SIGKILL loses nothing, and a consumer that resumes the group after a reopen gets
/// exactly the events after the group's last completed checkpoint: none that the killed consumer read before passing
/// that checkpoint (ARCHITECTURE.md invariants 1 and 3; API.md "exactly-once for a consumer that restores from a
/// checkpoint").
/// </summary>
public sealed class ReaderGroupCrashTests
{
    private const int Events = 3000;

    [Fact]
    public async Task A_consumer_killed_mid_read_resumes_exactly_after_its_last_completed_checkpoint()
    {
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = Path.Combine(Path.GetTempPath(), "pravega-crash-readers-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root)))
            {
                await store.Streams.CreateScopeAsync(CrashReader.Scope);
                await store.Streams.CreateStreamAsync(CrashReader.Scope, CrashReader.Stream, new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(3) });
                await using var writer = store.CreateEventWriter(CrashReader.Scope, CrashReader.Stream, Serializers.Utf8);
                await Task.WhenAll(Enumerable.Range(0, Events).Select(i => writer.WriteEventAsync($"k{i % 11}", i.ToString(CultureInfo.InvariantCulture))));
                await store.ReaderGroups.CreateReaderGroupAsync(CrashReader.Scope, CrashReader.Group, ReaderGroupConfig.ForStream(CrashReader.Scope, CrashReader.Stream));
            }

            var lines = await RunChildUntilKilledAsync(root, random, seed);

            var childEvents = new List<int>();
            var beforeMarker = new Dictionary<string, int>(); // checkpoint name -> events the child read before passing it
            var completed = new List<string>();
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "EVENT": childEvents.Add(int.Parse(parts[1], CultureInfo.InvariantCulture)); break;
                    case "MARKER": beforeMarker[parts[1]] = childEvents.Count; break;
                    case "CHECKPOINT": completed.Add(parts[1]); break;
                }
            }
            Assert.True(completed.Count > 0, $"seed {seed}: the child completed no checkpoint before it was killed");
            var safe = childEvents.Take(beforeMarker[completed[^1]]).ToHashSet(); // read before the last completed checkpoint

            var resumed = new List<int>();
            await using (var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root)))
            {
                await using var reader = store.CreateReader("successor", CrashReader.Scope, CrashReader.Group, Serializers.Utf8);
                EventRead<string> read;
                while ((read = await reader.ReadNextEventAsync(TimeSpan.FromMilliseconds(500))).HasEvent || read.IsCheckpoint)
                    if (read.HasEvent) resumed.Add(int.Parse(read.Event!, CultureInfo.InvariantCulture));
            }

            Assert.Equal(Enumerable.Range(0, Events), childEvents.Concat(resumed).Distinct().Order());
            Assert.DoesNotContain(resumed, safe.Contains);
            Assert.Equal(resumed.Count, resumed.Distinct().Count());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<List<string>> RunChildUntilKilledAsync(string root, Random random, int seed)
    {
        var lines = await KilledChild.RunAsync(CrashReader.Command, root, "CHECKPOINT", 20, 300, random, $"seed {seed}");
        return [.. lines.Where(l => l.StartsWith("EVENT ", StringComparison.Ordinal) || l.StartsWith("MARKER ", StringComparison.Ordinal) || l.StartsWith("CHECKPOINT ", StringComparison.Ordinal))];
    }
}
