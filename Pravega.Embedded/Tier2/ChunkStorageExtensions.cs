namespace Pravega.Embedded.Tier2;

/// <summary>Reads built on <see cref="IChunkStorage"/>'s primitives.</summary>
internal static class ChunkStorageExtensions
{
    /// <summary>The chunk's bytes as they are now (a manifest, read whole at open); null when no chunk has this name.</summary>
    public static async ValueTask<byte[]?> ReadAllAsync(this IChunkStorage storage, string name, CancellationToken ct)
    {
        if (await storage.GetLengthAsync(name, ct).ConfigureAwait(false) is not { } length) return null;
        var bytes = new byte[checked((int)length)];
        int done = 0;
        while (done < bytes.Length)
        {
            int read = await storage.ReadAsync(name, done, bytes.AsMemory(done), ct).ConfigureAwait(false);
            if (read == 0) break; // shorter now than when asked (another caller's concern): what is there
            done += read;
        }
        return done == bytes.Length ? bytes : bytes[..done];
    }
}
