// VideoChunks: a multi-MiB file (generated here, standing in for a video) is stored as a byte stream while a second
// task reads it live, restoring it into another file as the bytes become durable. The writer flushes every 4 MiB (each
// flush is the point a crash could take the stream back to, never further) and seals at the end, so the reader's
// CopyToAsync ends there. The restored file's SHA-256 must equal the original's.
using System.Diagnostics;
using System.Security.Cryptography;
using Pravega.Embedded;

string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "pravega-video-" + Guid.NewGuid().ToString("N"));
bool temporary = args.Length == 0;
const int FileBytes = 48 << 20, FlushEvery = 4 << 20;
string original = Path.Combine(Path.GetTempPath(), "video-" + Guid.NewGuid().ToString("N") + ".bin");
string restored = original + ".restored";
int exitCode = 1;
try
{
    await GenerateAsync(original, FileBytes);
    await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
    await store.Streams.CreateScopeAsync("media");
    await store.Streams.CreateStreamAsync("media", "video", new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(1) });

    var clock = Stopwatch.StartNew();
    var reading = Task.Run(async () =>
    {
        using var reader = store.CreateByteStreamReader("media", "video");
        await using var output = File.Create(restored);
        await reader.CopyToAsync(output); // follows the writer; ends at the end of the sealed stream
        return reader.Length;
    });

    await using (var writer = store.CreateByteStreamWriter("media", "video"))
    await using (var input = File.OpenRead(original))
    {
        var buffer = new byte[1 << 20];
        var random = new Random(1);
        long sinceFlush = 0;
        int read;
        while ((read = await input.ReadAsync(buffer.AsMemory(0, random.Next(64 << 10, buffer.Length)))) > 0)
        {
            await writer.WriteAsync(buffer.AsMemory(0, read)); // odd-sized pieces, as a camera hands them over
            sinceFlush += read;
            if (sinceFlush < FlushEvery) continue;
            await writer.FlushAsync();
            sinceFlush = 0;
        }
        await writer.SealAsync();
    }
    double writeSeconds = clock.Elapsed.TotalSeconds;
    long length = await reading;
    Console.WriteLine($"stored {length / (1 << 20)} MiB in {writeSeconds:F2} s ({length / writeSeconds / (1 << 20):F0} MiB/s, durable in 3 mirrors), restored live in {clock.Elapsed.TotalSeconds:F2} s");

    string expected = await HashAsync(original), actual = await HashAsync(restored);
    Console.WriteLine($"SHA-256 original {expected}");
    Console.WriteLine($"SHA-256 restored {actual}");
    exitCode = expected == actual ? 0 : 1;
    Console.WriteLine(exitCode == 0 ? "the restored file is identical" : "MISMATCH: the restored file differs");
}
finally
{
    File.Delete(original);
    File.Delete(restored);
    if (temporary && Directory.Exists(root)) Directory.Delete(root, recursive: true);
}
return exitCode;

static async Task GenerateAsync(string path, int bytes)
{
    await using var file = File.Create(path);
    var block = new byte[1 << 20];
    var random = new Random(42);
    for (int written = 0; written < bytes; written += block.Length)
    {
        random.NextBytes(block);
        await file.WriteAsync(block);
    }
}

static async Task<string> HashAsync(string path)
{
    await using var file = File.OpenRead(path);
    return Convert.ToHexString(await SHA256.HashDataAsync(file));
}
