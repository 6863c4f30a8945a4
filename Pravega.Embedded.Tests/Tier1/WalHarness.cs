using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

/// <summary>A record as the log acknowledged it: the model recovery is compared against.</summary>
internal sealed record Appended(long Lsn, LogAddress Address, byte[] Payload)
{
    /// <summary>Where the record's frame starts in its file.</summary>
    public int FrameStart => Address.Position - WalFormat.FrameHeaderSize;

    /// <summary>Where the record's frame ends in its file.</summary>
    public int FrameEnd => Address.Position + Payload.Length;
}

/// <summary>A record as recovery replayed it.</summary>
internal sealed record Replayed(long Lsn, LogAddress Address, byte[] Payload);

/// <summary>
/// A write-ahead log over three mirror directories in a temporary root (deleted on dispose), with helpers to
/// append durably, reopen and collect what recovery replays, and inspect or damage the files on disk.
/// </summary>
internal sealed class WalHarness : IDisposable
{
    public const int MirrorCount = 3;
    public const int DefaultFileSize = 256 << 10;

    public WalHarness(int fileSize = DefaultFileSize, bool preZeroFiles = false)
    {
        Root = Path.Combine(Path.GetTempPath(), "pravega-tier1-tests", Guid.NewGuid().ToString("N"));
        Directories = new string[MirrorCount];
        for (int m = 0; m < MirrorCount; m++) Directories[m] = Path.Combine(Root, $"tier1-{m}");
        Options = new WalOptions { Directories = Directories, FileSize = fileSize, PreZeroFiles = preZeroFiles };
    }

    public string Root { get; }

    public string[] Directories { get; }

    public WalOptions Options { get; }

    public int FileSize => Options.FileSize;

    /// <summary>Every record acknowledged so far, in LSN order.</summary>
    public List<Appended> Written { get; } = [];

    /// <summary>Opens (and recovers) the log, adding each replayed record to <paramref name="replayed"/>.</summary>
    public WriteAheadLog Open(List<Replayed>? replayed = null, Action<long>? onDurable = null)
    {
        var log = WriteAheadLog.Open(Options, (lsn, address, payload) => replayed?.Add(new Replayed(lsn, address, payload.ToArray())),
                                     onDurable ?? (static _ => { }));
        (StoreId, Generation) = (log.StoreId, log.Generation);
        return log;
    }

    /// <summary>The store id of the log as last opened.</summary>
    public Guid StoreId { get; private set; }

    /// <summary>The generation of the log as last opened: frames a test forges as "written by it" carry it.</summary>
    public uint Generation { get; private set; }

    /// <summary>A frame as the last open of the log would have written it.</summary>
    public byte[] Frame(byte[] payload, long lsn, long batchLsn)
    {
        var frame = new byte[WalFormat.FrameHeaderSize + payload.Length];
        payload.CopyTo(frame, WalFormat.FrameHeaderSize);
        WalFormat.SealFrame(frame, StoreId, lsn, batchLsn, Generation, FrameKind.Record);
        return frame;
    }

    /// <summary>The payload of a durable record, read through the log's read path.</summary>
    public static byte[] Read(WriteAheadLog log, LogAddress address, int length)
    {
        using var lease = log.Read(address, length);
        return lease.Memory.ToArray();
    }

    /// <summary>Opens the log, closes it again, and returns what recovery replayed and reported.</summary>
    public (List<Replayed> Records, RecoveryReport Report) Reopen()
    {
        var replayed = new List<Replayed>();
        var log = Open(replayed);
        var report = log.Recovery;
        Close(log);
        return (replayed, report);
    }

    public static long Append(WriteAheadLog log, byte[] payload, out LogAddress address) =>
        log.Append(payload.Length, payload, static (destination, p) => p.CopyTo(destination), out address);

    /// <summary>Appends, waits until the record is durable in every mirror, and adds it to <see cref="Written"/>.</summary>
    public async Task<Appended> AppendDurablyAsync(WriteAheadLog log, byte[] payload)
    {
        long lsn = Append(log, payload, out var address);
        await log.WhenDurable(lsn);
        var record = new Appended(lsn, address, payload);
        Written.Add(record);
        return record;
    }

    /// <summary><see cref="AppendDurablyAsync"/> for property bodies, which are synchronous.</summary>
    public Appended AppendDurably(WriteAheadLog log, byte[] payload) => AppendDurablyAsync(log, payload).GetAwaiter().GetResult();

    /// <summary>Opens the log, appends one durable record of each size, and closes it.</summary>
    public void Populate(IReadOnlyList<int> sizes)
    {
        var log = Open();
        foreach (int size in sizes) AppendDurably(log, Payload(Written.Count + 1, size));
        Close(log);
    }

    public static void Close(WriteAheadLog log) => log.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Deterministic pseudo-random bytes; the first byte is never zero, so no payload is all zeros.</summary>
    public static byte[] Payload(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] |= 1;
        return bytes;
    }

    public string FilePath(int mirror, long sequence) => Path.Combine(Directories[mirror], WalFormat.FileName(sequence));

    /// <summary>The log files of one mirror (names only), sorted.</summary>
    public List<string> LogFiles(int mirror)
    {
        var names = new List<string>();
        if (!Directory.Exists(Directories[mirror])) return names;
        foreach (string path in Directory.EnumerateFiles(Directories[mirror], WalFormat.FilePrefix + "*"))
            names.Add(Path.GetFileName(path));
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Highest sequence number among the log files of a mirror.</summary>
    public long LastSequence(int mirror)
    {
        long last = 0;
        foreach (string name in LogFiles(mirror))
            if (WalFormat.TryParseFileName(name, out long s) && s > last) last = s;
        return last;
    }

    /// <summary>Writes <paramref name="bytes"/> into a mirror's copy of a file, in place.</summary>
    public void Overwrite(int mirror, long sequence, long position, ReadOnlySpan<byte> bytes)
    {
        using var handle = File.OpenHandle(FilePath(mirror, sequence), FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Write(handle, bytes, position);
    }

    /// <summary>XORs <paramref name="mask"/> into one byte of a mirror's copy of a file.</summary>
    public void FlipByte(int mirror, long sequence, long position, byte mask = 0xFF)
    {
        using var handle = File.OpenHandle(FilePath(mirror, sequence), FileMode.Open, FileAccess.ReadWrite);
        Span<byte> one = stackalloc byte[1];
        RandomAccess.Read(handle, one, position);
        one[0] ^= mask;
        RandomAccess.Write(handle, one, position);
    }

    public void Truncate(int mirror, long sequence, long length)
    {
        using var handle = File.OpenHandle(FilePath(mirror, sequence), FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, length);
    }

    /// <summary>
    /// The recovered records are exactly <paramref name="expected"/>: same LSNs (increasing; each open's generation
    /// marker takes one, so they are not 1..n), addresses and bytes.
    /// </summary>
    public static void AssertRecords(IReadOnlyList<Appended> expected, IReadOnlyList<Replayed> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Lsn, actual[i].Lsn);
            Assert.Equal(expected[i].Address, actual[i].Address);
            Assert.True(expected[i].Payload.AsSpan().SequenceEqual(actual[i].Payload), $"payload of LSN {actual[i].Lsn} differs");
        }
    }

    /// <summary>Every mirror holds the same log files with the same bytes.</summary>
    public void AssertMirrorsIdentical()
    {
        var reference = LogFiles(0);
        Assert.NotEmpty(reference);
        for (int m = 1; m < MirrorCount; m++) Assert.Equal(reference, LogFiles(m));
        foreach (string name in reference)
        {
            byte[] first = File.ReadAllBytes(Path.Combine(Directories[0], name));
            Assert.Equal(FileSize, first.Length);
            for (int m = 1; m < MirrorCount; m++)
            {
                byte[] other = File.ReadAllBytes(Path.Combine(Directories[m], name));
                Assert.True(first.AsSpan().SequenceEqual(other), $"{name} differs between mirror 0 and mirror {m}");
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
