namespace Pravega.Embedded.Tests.Integration;

/// <summary>A store root in a fresh temporary directory, deleted at dispose; opens stores with small WAL files.</summary>
internal sealed class TempStoreDirectory : IDisposable
{
    public TempStoreDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "pravega-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public StreamStoreOptions Options(int walFileSize = 4 << 20) => StreamStoreOptions.InDirectory(Root) with { WalFileSize = walFileSize };

    public Task<StreamStore> OpenAsync(int walFileSize = 4 << 20) => StreamStore.OpenAsync(Options(walFileSize));

    /// <summary>Deletes the checkpoints of a closed store, so that its next open replays the whole WAL.</summary>
    public void ForgetCheckpoints()
    {
        foreach (string mirror in Options().Tier1Directories)
            foreach (string file in Directory.GetFiles(mirror, "checkpoint-*.ckpt")) File.Delete(file);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
