using Pravega.Embedded.Tests.Simulation;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;
using Xunit;

namespace Pravega.Embedded.Tests.Tier2;

/// <summary>The filesystem chunk storage's contract, on the real file system and on the simulated device alike.</summary>
public sealed class FileSystemChunkStorageTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "pravega-chunks-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<bool> Devices => [true, false];

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    private (IStorageDevice Device, string Root) Open(bool simulated) =>
        simulated ? (new SimulatedDevice(new Random(7)), "/t2") : (FileSystemDevice.Instance, _temp);

    [Theory]
    [MemberData(nameof(Devices))]
    public async Task Chunks_are_created_appended_read_listed_and_deleted(bool simulated)
    {
        var (device, root) = Open(simulated);
        await using var storage = new FileSystemChunkStorage(device, root);
        string a = ChunkNames.DataChunk(ChunkNames.SegmentPrefix("sc", "st", 1, 4), 0, Guid.NewGuid());
        string b = ChunkNames.DataChunk(ChunkNames.SegmentPrefix("sc", "st", 1, 5), 100, Guid.NewGuid());
        await storage.CreateAsync(a, default);
        await storage.CreateAsync(b, default);
        await storage.AppendAsync(a, 0, "hello "u8.ToArray(), default);
        await storage.AppendAsync(a, 6, "world"u8.ToArray(), default);
        await storage.SyncAsync(a, default);
        Assert.Equal(11, await storage.GetLengthAsync(a, default));
        Assert.Equal(0, await storage.GetLengthAsync(b, default));

        var buffer = new byte[20];
        int read = await storage.ReadAsync(a, 3, buffer, default);
        Assert.Equal("lo world", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        Assert.Equal(0, await storage.ReadAsync(a, 11, buffer, default));

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), await storage.ListAsync("", default).ToListAsync());
        Assert.Equal([b], await storage.ListAsync(ChunkNames.SegmentPrefix("sc", "st", 1, 5), default).ToListAsync());

        await storage.DeleteAsync(a, default);
        await storage.DeleteAsync(a, default); // nothing left to delete
        Assert.Null(await storage.GetLengthAsync(a, default));
        Assert.Equal([b], await storage.ListAsync("", default).ToListAsync());
        Assert.False(device.DirectoryExists(Path.Combine(root, ChunkNames.SegmentPrefix("sc", "st", 1, 4)))); // emptied directories go
        Assert.True(device.DirectoryExists(Path.Combine(root, ChunkNames.SegmentPrefix("sc", "st", 1, 5))));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public async Task Misuse_is_refused_and_changes_nothing(bool simulated)
    {
        var (device, root) = Open(simulated);
        await using var storage = new FileSystemChunkStorage(device, root);
        const string name = "sc/st/1-0/0000000000000000000-x.chunk";
        await storage.CreateAsync(name, default);
        await storage.AppendAsync(name, 0, new byte[10], default);

        await Assert.ThrowsAsync<ChunkExistsException>(() => storage.CreateAsync(name, default).AsTask());
        Assert.Equal(10, await storage.GetLengthAsync(name, default)); // not truncated by the refused create
        var wrongOffset = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.AppendAsync(name, 5, new byte[1], default).AsTask());
        Assert.Contains("length 10", wrongOffset.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ChunkNotFoundException>(() => storage.AppendAsync("sc/st/1-0/missing.chunk", 0, new byte[1], default).AsTask());
        await Assert.ThrowsAsync<ChunkNotFoundException>(() => storage.ReadAsync("sc/st/1-0/missing.chunk", 0, new byte[1], default).AsTask());
        foreach (string bad in new[] { "", "/abs", "a//b", "a/../b", "a/./b", "a\\b" })
            await Assert.ThrowsAnyAsync<ArgumentException>(() => storage.CreateAsync(bad, default).AsTask());

        await storage.SealAsync(name, default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => storage.AppendAsync(name, 10, new byte[1], default).AsTask());
        Assert.Equal(10, await storage.GetLengthAsync(name, default));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.CreateAsync("sc/st/1-0/other.chunk", cancelled.Token).AsTask());
    }

    /// <summary>
    /// What survives a power failure: a created chunk (its directory entry was synced) and its synced bytes; never
    /// a deleted chunk again. Unsynced appends may go: callers never reference them.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Created_synced_and_deleted_chunks_survive_a_power_failure_as_they_were_left(int seed)
    {
        var device = new SimulatedDevice(new Random(seed));
        var process = new SimulatedProcess(device);
        var storage = new FileSystemChunkStorage(process, "/t2");
        const string kept = "sc/st/1-1/0000000000000000000-a.chunk", empty = "sc/st/1-1/0000000000000000000-b.chunk", gone = "sc/st/1-2/0000000000000000000-c.chunk";
        var synced = new byte[3000];
        new Random(seed).NextBytes(synced);
        await storage.CreateAsync(kept, default);
        await storage.AppendAsync(kept, 0, synced, default);
        await storage.SyncAsync(kept, default);
        await storage.AppendAsync(kept, synced.Length, new byte[700], default); // never synced
        await storage.CreateAsync(empty, default);
        await storage.CreateAsync(gone, default);
        await storage.AppendAsync(gone, 0, synced, default);
        await storage.SyncAsync(gone, default);
        await storage.DeleteAsync(gone, default);
        process.PowerFail(new Random(seed * 13));

        await using var after = new FileSystemChunkStorage(new SimulatedProcess(device), "/t2");
        Assert.Equal(new[] { empty, kept }.Order(StringComparer.Ordinal), await after.ListAsync("", default).ToListAsync());
        long length = (await after.GetLengthAsync(kept, default))!.Value;
        Assert.InRange(length, synced.Length, synced.Length + 700);
        var read = new byte[synced.Length];
        Assert.Equal(synced.Length, await after.ReadAsync(kept, 0, read, default));
        Assert.Equal(synced, read);
        Assert.Equal(0, await after.GetLengthAsync(empty, default));
    }
}

/// <summary>The storage keeps a bounded number of chunks open however many it writes and reads.</summary>
public sealed class FileSystemChunkStorageHandleTests
{
    [Fact]
    public async Task At_most_MaxWriteHandles_chunks_are_open_and_a_closed_one_still_appends_and_syncs()
    {
        var device = new CountingDevice(new SimulatedDevice(new Random(3)));
        await using var storage = new FileSystemChunkStorage(device, "/t2");
        var names = Enumerable.Range(0, 3 * FileSystemChunkStorage.MaxWriteHandles)
            .Select(i => ChunkNames.DataChunk(ChunkNames.SegmentPrefix("sc", "st", 1, i), 0, Guid.NewGuid())).ToList();
        foreach (string name in names)
        {
            await storage.CreateAsync(name, default);
            await storage.AppendAsync(name, 0, "abc"u8.ToArray(), default);
            Assert.True(device.Open <= FileSystemChunkStorage.MaxWriteHandles, $"{device.Open} handles open");
        }
        await storage.AppendAsync(names[0], 3, "def"u8.ToArray(), default); // its handle was closed long ago
        await storage.SyncAsync(names[0], default);
        var buffer = new byte[6];
        Assert.Equal(6, await storage.ReadAsync(names[0], 0, buffer, default));
        Assert.Equal("abcdef"u8.ToArray(), buffer);
        Assert.True(device.Open <= FileSystemChunkStorage.MaxWriteHandles + 1);
        foreach (string name in names) Assert.Equal(3, await storage.ReadAsync(name, 0, new byte[3], default) is 3 or 6 ? 3 : -1);
        Assert.True(device.Open <= FileSystemChunkStorage.MaxWriteHandles + FileSystemChunkStorage.MaxReadHandles, $"{device.Open} handles open");
        // A deleted chunk's read handle goes with it: the next read finds no chunk.
        await storage.DeleteAsync(names[^1], default);
        await Assert.ThrowsAsync<ChunkNotFoundException>(async () => await storage.ReadAsync(names[^1], 0, new byte[3], default));
    }

    /// <summary>A device that counts the files open through it.</summary>
    private sealed class CountingDevice(IStorageDevice inner) : IStorageDevice
    {
        private int _open;

        public int Open => Volatile.Read(ref _open);

        public void CreateDirectory(string path) => inner.CreateDirectory(path);
        public bool DirectoryExists(string path) => inner.DirectoryExists(path);
        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);
        public IReadOnlyList<string> ListDirectories(string directory) => inner.ListDirectories(directory);
        public void DeleteDirectory(string path) => inner.DeleteDirectory(path);
        public bool FileExists(string path) => inner.FileExists(path);
        public void DeleteFile(string path) => inner.DeleteFile(path);
        public void RenameFile(string source, string destination) => inner.RenameFile(source, destination);
        public void SyncDirectory(string path) => inner.SyncDirectory(path);
        public IDisposable LockDirectory(string path) => inner.LockDirectory(path);

        public IDeviceFile OpenFile(string path, DeviceOpenMode mode)
        {
            var file = inner.OpenFile(path, mode);
            Interlocked.Increment(ref _open);
            return new Counted(file, this);
        }

        private sealed class Counted(IDeviceFile inner, CountingDevice owner) : IDeviceFile
        {
            private int _disposed;

            public string Path => inner.Path;
            public long Length => inner.Length;
            public int Read(Span<byte> destination, long offset) => inner.Read(destination, offset);
            public void Write(ReadOnlySpan<byte> source, long offset) => inner.Write(source, offset);
            public void Flush() => inner.Flush();
            public void Allocate(long length) => inner.Allocate(length);
            public DeviceMapping Map(int length) => inner.Map(length);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref owner._open);
                inner.Dispose();
            }
        }
    }
}
