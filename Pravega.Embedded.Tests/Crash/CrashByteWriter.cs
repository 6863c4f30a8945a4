using System.Globalization;
using Pravega.Embedded.Tests.ByteStreams;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The child side of the byte stream crash test: appends <see cref="ByteStreamData"/> to a byte stream in odd-sized
/// writes (synchronous and asynchronous), flushes at random points and now and then truncates at a flushed offset, until
/// it is killed. Output (one write per line, as <see cref="CrashWriter"/>): <c>START offset</c> (the tail it found),
/// <c>FLUSHING offset</c> before each flush call, <c>FLUSHED offset</c> after it returned, <c>TRUNCATED offset</c> after a
/// truncation returned.
/// </summary>
internal static class CrashByteWriter
{
    public const string Command = "crash-bytes";
    public const string Stream = "bytes";

    /// <summary>Log files of 1 MiB: a checkpoint at each, tiering at half of one; flush units stay below their 64 MiB limit.</summary>
    public const int WalFileSize = 1 << 20;

    public static async Task<int> RunAsync(string root)
    {
        await using var store = await StreamStore.OpenAsync(CrashWriter.Options(root, WalFileSize));
        await store.Streams.CreateScopeAsync(CrashWriter.Scope);
        await store.Streams.CreateStreamAsync(CrashWriter.Scope, Stream, new StreamConfiguration());
        long offset;
        using (var reader = store.CreateByteStreamReader(CrashWriter.Scope, Stream)) offset = reader.Length;
        CrashWriter.Print("START " + offset.ToString(CultureInfo.InvariantCulture));
        var random = new Random();
        var buffer = new byte[700_000];
        long flushed = offset;
        await using var writer = store.CreateByteStreamWriter(CrashWriter.Scope, Stream);
        while (true)
        {
            int n = random.Next(1, buffer.Length);
            ByteStreamData.Fill(buffer.AsSpan(0, n), offset);
            if (random.Next(2) == 0) writer.Write(buffer, 0, n);
            else await writer.WriteAsync(buffer.AsMemory(0, n));
            offset += n;
            if (random.Next(4) != 0) continue;
            CrashWriter.Print("FLUSHING " + offset.ToString(CultureInfo.InvariantCulture));
            if (random.Next(2) == 0) writer.Flush();
            else await writer.FlushAsync();
            CrashWriter.Print("FLUSHED " + offset.ToString(CultureInfo.InvariantCulture));
            if (random.Next(8) == 0)
            {
                long cut = flushed + random.NextInt64(offset - flushed + 1);
                await writer.TruncateDataBeforeAsync(cut);
                CrashWriter.Print("TRUNCATED " + cut.ToString(CultureInfo.InvariantCulture));
            }
            flushed = offset;
        }
    }
}
