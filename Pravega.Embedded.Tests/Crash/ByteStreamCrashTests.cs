using System.Globalization;
using Pravega.Embedded.Tests.ByteStreams;
using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// Byte streams under SIGKILL (<see cref="CrashByteWriter"/>), many rounds on one store: after each reopen the stream ends
/// exactly where some flush was called (never inside the bytes between two flushes), at or after the last flush that
/// returned, and every byte from the head to there is the one written; the head is at or after the last truncation that
/// returned.
/// </summary>
public sealed class ByteStreamCrashTests
{
    private const int Rounds = 6;

    [Fact]
    public async Task After_sigkill_a_byte_stream_is_exactly_a_flushed_prefix_of_what_was_written()
    {
        int seed = Environment.GetEnvironmentVariable("PRAVEGA_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        string root = CrashRecoveryTests.NewRoot();
        long head = 0;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                string context = $"seed {seed}, round {round}";
                var lines = await KilledChild.RunAsync(CrashByteWriter.Command, root, "FLUSHED ", 50, 1500, random, context);
                var ends = new HashSet<long>(); // where the stream may end: where it started and where a flush was called
                long flushed = -1;
                foreach (var line in lines)
                {
                    var parts = line.Split(' ');
                    Assert.True(parts.Length == 2 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out _), $"{context}: the child printed '{line}'");
                    long at = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    switch (parts[0])
                    {
                        case "START" or "FLUSHING":
                            ends.Add(at);
                            break;
                        case "FLUSHED":
                            flushed = at;
                            break;
                        case "TRUNCATED":
                            head = Math.Max(head, at);
                            break;
                        default:
                            Assert.Fail($"{context}: the child printed '{line}'");
                            break;
                    }
                }
                Assert.True(flushed >= 0, $"{context}: no flush returned");

                await using var store = await StreamStore.OpenAsync(CrashWriter.Options(root, CrashByteWriter.WalFileSize));
                using var reader = store.CreateByteStreamReader(CrashWriter.Scope, CrashByteWriter.Stream);
                long length = reader.Length;
                Assert.True(ends.Contains(length), $"{context}: the stream ends at {length}, where no flush was called");
                Assert.True(length >= flushed, $"{context}: the stream ends at {length}, before the flush that returned at {flushed}");
                Assert.True(reader.HeadOffset >= head && reader.HeadOffset <= length, $"{context}: the head is {reader.HeadOffset}, the last truncation returned at {head}");
                head = reader.HeadOffset;
                var buffer = new byte[1 << 20];
                for (long offset = head; offset < length;)
                {
                    int n = await reader.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - offset)));
                    Assert.True(n > 0, $"{context}: read returned 0 at {offset}");
                    long wrong = ByteStreamData.FirstWrong(buffer.AsSpan(0, n), offset);
                    Assert.True(wrong < 0, $"{context}: byte {wrong} is not the one written");
                    offset += n;
                }
            }
        }
        finally
        {
            CrashRecoveryTests.DeleteRoot(root);
        }
    }
}
