using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Tier1;
using System.Globalization;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>A check of the simulation failed: the message names the seed, how to replay it, and what happened.</summary>
internal sealed class SimulationViolationException(string message) : Exception(message);

/// <summary>
/// One seed of the store simulation: a random workload through the public API of <see cref="StreamStore"/> over a
/// <see cref="SimulatedDevice"/>, in lives separated by a clean dispose, a crash or a power failure, with device faults,
/// and after every recovery a check of everything completed calls proved (<c>StoreSimulationRun.Check.cs</c>).
/// </summary>
/// <remarks>
/// <para>Determinism: one seed is one interleaving. Every choice of the workload and of the fault schedule is drawn from
/// one <see cref="Random"/> seeded by the seed, on the test's own flow; the device's own draws (which bytes a corruption
/// flips, the writeback of a failed flush, a misdirected write's shift) and each power failure's fate come from their
/// own seeded generators. The store runs with a stepped log (<see cref="WalOptions.Stepped"/>): it has no threads, the
/// run commits (<c>StoreSimulationRun.Stepping.cs</c>) between and among its calls, continuations run inline, files are
/// prepared in mirror order, and time is a clock that never moves, so the same seed makes the same device operations in
/// the same order. A crash or power failure strikes after an exact number of device operations of the commits that
/// follow the last calls, so "writes in flight" are cut at a point the seed chooses. The transcript (log, outcomes,
/// device digest) of two runs of a seed is compared by a test. Run with the log's own threads
/// (<c>PRAVEGA_SIM_THREADS=1</c>), commits group by timing instead, and a seed replays its schedule but not always its
/// interleaving.</para>
/// </remarks>
internal sealed partial class StoreSimulationRun
{
    internal static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(20);
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3", "k4", "k5", "k6"];
    private static readonly int[] FileSizes = [16 << 10, 32 << 10, 64 << 10, 256 << 10];

    private readonly int _seed;
    private readonly bool _stepped;
    private readonly Random _rng;
    private readonly SimulatedDevice _device;
    private readonly string[] _dirs;
    private readonly int _victim;
    private readonly int _lives;
    private readonly StreamStoreOptions _options;
    private readonly SimulationModel _model = new();
    private readonly List<string> _log = [];
    private readonly List<string> _violations = [];
    private readonly List<Attempt> _unresolved = [];
    private readonly List<MetadataCall> _unresolvedMeta = [];
    private SimulatedProcess? _process;
    private StreamStore? _store;
    private int _life;
    private int _nextAttempt;
    private int _nextName;
    private bool _failureObserved;
    private bool _mayRefuse;
    private readonly HashSet<string> _victimOnlyDamage = new(StringComparer.Ordinal); // files only the victim held when damaged

    private StoreSimulationRun(int seed, bool stepped)
    {
        _seed = seed;
        _stepped = stepped;
        _rng = new Random(seed);
        _device = new SimulatedDevice(new Random(unchecked((seed * 7919) + 17)));
        int mirrors = _rng.Next(10) < 3 ? 2 : 3;
        _dirs = new string[mirrors];
        for (int m = 0; m < mirrors; m++) _dirs[m] = $"/sim/tier1-{m}";
        _victim = _rng.Next(mirrors);
        _lives = _rng.Next(3, 7);
        _options = new StreamStoreOptions
        {
            Tier1Directories = _dirs,
            Tier2Directory = null,
            RetentionCheckInterval = Timeout.InfiniteTimeSpan,
            TimeProvider = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)), // no timer ever fires
            NewIds = SeededIds(new Random(unchecked((seed * 31) + 7))),
            WalFileSize = FileSizes[_rng.Next(FileSizes.Length)],
            WalMaxPendingBytes = _rng.Next(2) == 0 ? 16 << 10 : 1 << 20,
        };
        if (_rng.Next(3) > 0)
            _options = _options with { Tier2Directory = Tier2Root, Tier1MaxBytes = _options.WalFileSize * (long)_rng.Next(2, 7), Tier2ChunkSize = ChunkSizes[_rng.Next(ChunkSizes.Length)] };
        Log($"seed {seed}{(stepped ? "" : " (log threads)")}: {mirrors} mirrors, victim mirror {_victim}, {_lives} lives, WAL files of {_options.WalFileSize} bytes, max pending {_options.WalMaxPendingBytes}" +
            (_options.Tier2Directory is null ? ", no Tier-2" : $", Tier-2 with Tier-1 bound {_options.Tier1MaxBytes} and chunks of {_options.Tier2ChunkSize} bytes"));
    }

    /// <summary>Whether no mirror but the victim has a file named <paramref name="name"/>.</summary>
    private bool OnlyVictimHolds(string name)
    {
        for (int m = 0; m < _dirs.Length; m++)
            if (m != _victim && _device.FileExists(_dirs[m] + "/" + name)) return false;
        return true;
    }

    /// <summary>Store and writer ids drawn from a seeded generator, so that every byte the store writes replays.</summary>
    private static Func<Guid> SeededIds(Random random) => () =>
    {
        var bytes = new byte[16];
        lock (random) random.NextBytes(bytes);
        return new Guid(bytes);
    };

    /// <summary>The command that replays one seed alone.</summary>
    public static string ReplayCommand(int seed) =>
        $"PRAVEGA_SIM_SEED={seed} dotnet test Pravega.Embedded.Tests --filter \"FullyQualifiedName~{nameof(StoreSimulationTests)}\"";

    /// <summary>
    /// Runs one seed; throws <see cref="SimulationViolationException"/> when a check fails. Returns the run's transcript:
    /// its log, every call's outcome and a digest of the device (what <see cref="StoreSimulationTests"/> compares to show
    /// that a seed replays exactly).
    /// </summary>
    /// <param name="seed">The seed.</param>
    /// <param name="stepped">Step the log from the run (exact replay); false lets it run its own threads, whose
    /// interleavings vary from run to run (more schedules, no exact replay).</param>
    public static async Task<string> RunAsync(int seed, bool stepped = true)
    {
        var run = new StoreSimulationRun(seed, stepped);
        try
        {
            await run.ExecuteAsync();
            return run.Transcript();
        }
        catch (SimulationViolationException)
        {
            throw;
        }
        catch (Exception e)
        {
            run._violations.Add($"unexpected {e}");
            throw run.Failure();
        }
    }

    private async Task ExecuteAsync()
    {
        for (_life = 0; ; _life++)
        {
            if (!await OpenAsync()) return;
            if (_life == 0) await SetUpAsync();
            else await CheckAsync();
            if (_life == _lives)
            {
                await CloseCleanlyAsync();
                Log("done");
                return;
            }
            await BeginWritersAsync();
            ArmFaults();
            int steps = _rng.Next(4, 15);
            for (int s = 0; s < steps; s++) await StepAsync();
            await EndLifeAsync();
            Damage();
        }
    }

    // ---- lives ----

    /// <returns>False when the store refused to open and that was allowed (damage in every mirror): the run ends.</returns>
    private async Task<bool> OpenAsync()
    {
        _device.ClearFaults();
        // Not after damage in every mirror: a new bad sector in the one mirror holding a later (torn) commit would hide the
        // evidence that makes recovery refuse, two faults at once beyond "one place in every mirror".
        bool readFaults = _life > 0 && _dirs.Length > 1 && _rng.Next(5) == 0 && !_mayRefuse;
        if (readFaults)
        {
            string victim = _dirs[_victim] + "/";
            _device.FaultPlan = new SimulatedFaultPlan { Applies = p => p.StartsWith(victim, StringComparison.Ordinal), ReadFailure = 0.05 };
        }
        _process = new SimulatedProcess(_device);
        _failureObserved = false;
        if (readFaults) Log($"life {_life}: opening with new bad sectors drawn on reads of the victim mirror");
        try
        {
            _store = await StreamStore.OpenAsync(_options with { Device = _process, SteppedLog = _stepped }).WaitAsync(HangTimeout);
        }
        catch (Exception e) when (_mayRefuse && e is StorageCorruptedException or UnsupportedStorageFormatException)
        {
            Log($"open refused, as allowed after damage in every mirror: {e.Message}");
            return false;
        }
        catch (StorageCorruptedException e) when (e.FileName is { } name && _victimOnlyDamage.Contains(name) && OnlyVictimHolds(name))
        {
            // A file prepared ahead (often a recycled one, whose old frames count as data) that a crash left in the victim
            // mirror only, then damaged there: that is damage in every copy of it, and refusing is right.
            Log($"open refused, as allowed: every copy of {name} is in the victim mirror, and it was damaged there: {e.Message}");
            return false;
        }
        catch (UnsupportedStorageFormatException e) when (e.Path is { } path && Path.GetFileName(path) is { } name && _victimOnlyDamage.Contains(name) && OnlyVictimHolds(name))
        {
            // The same, when the damage hit the header's version: nothing tells a header of a newer format (which this
            // version must not overwrite) from a damaged one when no other copy exists (found by seed 8075).
            Log($"open refused, as allowed: every copy of {name} is in the victim mirror, and its header's version was damaged there: {e.Message}");
            return false;
        }
        catch (StorageCorruptedException e) when (readFaults && e.FileName is { } name && OnlyVictimHolds(name))
        {
            // A file prepared ahead whose preparation a crash cut short in the other mirrors lies in the victim mirror
            // only: its damage and the new bad sectors are damage in every copy of it, and nothing then proves that it
            // holds no record, so refusing is right (docs/FORMAT.md, "Recovery").
            Log($"open refused, as allowed: every copy of {name} is in the victim mirror, damaged and now with bad sectors: {e.Message}");
            return false;
        }
        catch (Exception e)
        {
            Violation($"life {_life}: the store did not open: {e}");
            throw Failure();
        }
        finally
        {
            _device.ClearFaults();
        }
        Log($"life {_life}: opened");
        if (TierStep()) Log("  tiering round (loads manifests, sweeps orphans)");
        CheckTier2();
        return true;
    }

    private async Task SetUpAsync()
    {
        int scopes = _rng.Next(1, 3);
        for (int i = 0; i < scopes; i++) await RunMetadataAsync(CreateScope($"sc{i}"));
        int streams = _rng.Next(1, 4);
        var created = new List<StreamModel>();
        for (int i = 0; i < streams; i++)
        {
            string scope = $"sc{_rng.Next(scopes)}";
            await RunMetadataAsync(CreateStream(scope, $"st{i}", _rng.Next(1, 5)));
            created.Add(_model.Streams[(scope, $"st{i}")]);
        }
        int writers = _rng.Next(2, 5);
        for (int i = 0; i < writers; i++)
        {
            var stream = created[i < created.Count ? i : _rng.Next(created.Count)];
            string? id = i == 0 || _rng.Next(10) < 7 ? $"w{i}" : null;
            _model.Slots.Add(new WriterSlot(i, stream.Scope, stream.Stream, id));
        }
        CheckNow("set-up");
    }

    /// <summary>A new writer object per slot; a writer with an id checks LastEventNumber and resends or abandons what was lost.</summary>
    private async Task BeginWritersAsync()
    {
        var store = _store!;
        foreach (var slot in _model.Slots)
        {
            slot.Writer = store.CreateEventWriter(slot.Scope, slot.Stream, Serializers.Utf8,
                                                  slot.FixedId is null ? null : new EventWriterOptions { WriterId = slot.FixedId });
            slot.CurrentId = slot.Writer.WriterId;
            slot.Calls = 0;
            if (slot.FixedId is null) continue;
            try
            {
                await SettleAsync(slot.Writer.FlushAsync());
            }
            catch (Exception e)
            {
                Violation($"life {_life}: FlushAsync of the new {slot} failed: {e}");
                continue;
            }
            long expected = MaxPresentNumber(slot.FixedId);
            if (slot.Writer.LastEventNumber != expected)
                Violation($"life {_life}: {slot}: LastEventNumber is {slot.Writer.LastEventNumber}, but the highest number present is {expected}");
        }
        CheckNow("new writers");
        if (_life == 0) return;
        foreach (var slot in _model.Slots)
        {
            if (slot.FixedId is not { } id) continue;
            var numbers = new SortedSet<long>();
            foreach (var a in _model.Attempts)
                if (a.WriterId == id && a.Number is { } n && !a.Abandoned) numbers.Add(n);
            bool sealedStream = _model.Streams[(slot.Scope, slot.Stream)].ObservedSealed;
            bool resend = _rng.Next(10) < 7;
            bool concurrent = _rng.Next(2) == 0;
            if (sealedStream || numbers.Count == 0) continue;
            if (!resend)
            {
                int abandoned = 0;
                foreach (var a in _model.Attempts)
                {
                    if (a.WriterId == id && a.Number is { } n && numbers.Contains(n) && !IsNumberPresent(id, n))
                    {
                        a.Abandoned = true;
                        abandoned++;
                    }
                }
                Log($"  {slot}: does not resend ({abandoned} lost attempts abandoned)");
                continue;
            }
            Log($"  {slot}: resends {numbers.Count} numbers {(concurrent ? "concurrently" : "one by one")}");
            var started = new List<Attempt>();
            foreach (long n in numbers)
            {
                var a = StartWrite(slot, n, IsNumberPresent(id, n) ? WriteResult.Duplicate : WriteResult.Written);
                if (concurrent) started.Add(a);
                else await ResolveAsync(a, abandoned: false);
            }
            foreach (var a in started) await ResolveAsync(a, abandoned: false);
        }
        CheckNow("resends");
    }

    private void ArmFaults()
    {
        string victim = _dirs[_victim] + "/";
        if (_rng.Next(4) == 0)
        {
            int k = _rng.Next(1, 25), seen = 0;
            _device.FailFlush(p => IsLogFile(p, victim) && OnLogThread() && ++seen == k);
            Log($"  armed: the {k}th log flush in mirror {_victim} fails (EIO)");
        }
        if (_dirs.Length > 1 && _rng.Next(5) == 0)
        {
            int k = _rng.Next(1, 25), seen = 0;
            _device.MisdirectNextWrite(p => IsLogFile(p, victim) && OnLogThread() && ++seen == k);
            Log($"  armed: the {k}th log write in mirror {_victim} is misdirected");
        }
    }

    private async Task EndLifeAsync()
    {
        int ending = _rng.Next(10);
        if (ending < 3)
        {
            Log($"life {_life}: clean dispose");
            await ResolveAllAsync(abandoned: false);
            await CloseCleanlyAsync();
            return;
        }
        bool inFlight = _rng.Next(2) == 0;
        if (inFlight) StartBurst();
        bool power = ending >= 6;
        int fate = power ? _rng.Next() : 0;
        bool dropCaches = !power && _rng.Next(3) == 0;
        string what = $"{(power ? "power failure" : "crash")}{(inFlight ? " with writes in flight" : "")}";
        void Die()
        {
            if (!power)
            {
                Log($"life {_life}: {what}");
                _process!.Crash();
                if (!dropCaches) return;
                _device.DropCaches();
                Log("  caches dropped");
                return;
            }
            Log($"life {_life}: {what} (fate seed {fate})");
            foreach (string line in _process!.PowerFail(new Random(fate))) Log("  " + line);
        }
        await DieInFlightAsync(Die);
        await AbandonAsync();
        await ResolveAllAsync(abandoned: true);
    }

    private async Task CloseCleanlyAsync()
    {
        foreach (var slot in _model.Slots)
        {
            if (slot.Writer is not { } w) continue;
            slot.Writer = null;
            try
            {
                await SettleAsync(w.DisposeAsync().AsTask());
            }
            catch (Exception e)
            {
                Violation($"life {_life}: disposing {slot} threw or hung: {e}");
            }
        }
        try
        {
            await SettleAsync(_store!.DisposeAsync().AsTask());
        }
        catch (Exception e)
        {
            Violation($"life {_life}: disposing the store threw or hung{(_failureObserved ? " (after its log failed)" : "")}: {e}");
        }
        _store = null;
        CheckNow("clean dispose");
    }

    /// <summary>The store of a crashed or powered-off process: disposed (it must not hang), IOExceptions ignored.</summary>
    private async Task AbandonAsync()
    {
        foreach (var slot in _model.Slots)
        {
            if (slot.Writer is not { } w) continue;
            slot.Writer = null;
            await DisposeIgnoringIOAsync(w.DisposeAsync(), slot.ToString());
        }
        await DisposeIgnoringIOAsync(_store!.DisposeAsync(), "the store");
        _store = null;
        CheckNow("abandon");
    }

    private async Task DisposeIgnoringIOAsync(ValueTask dispose, string what)
    {
        try
        {
            await SettleAsync(dispose.AsTask());
        }
        catch (IOException)
        {
        }
        catch (Exception e)
        {
            Violation($"life {_life}: disposing {what} after the process died threw or hung: {e}");
        }
    }

    /// <summary>Between lives: damage in the victim mirror only (recovery must repair it), or, once, in every mirror at one place.</summary>
    private void Damage()
    {
        if (_dirs.Length > 1 && _rng.Next(10) < 4)
        {
            int count = _rng.Next(1, 4);
            for (int i = 0; i < count; i++)
            {
                if (PickDataOffset(_dirs[_victim], out string path, out long offset) is false) continue;
                if (OnlyVictimHolds(Path.GetFileName(path))) _victimOnlyDamage.Add(Path.GetFileName(path));
                if (_rng.Next(10) < 6)
                {
                    var flipped = _device.CorruptSector(path, offset);
                    Log($"  corrupted {flipped.Count} bytes at {offset} of '{path}'");
                }
                else
                {
                    long start = offset / SimulatedDevice.SectorSize * SimulatedDevice.SectorSize;
                    int length = SimulatedDevice.SectorSize * _rng.Next(1, 3);
                    _device.FailReads(path, start, length);
                    Log($"  reads of [{start}, {start + length}) of '{path}' fail");
                }
            }
        }
        if (_life == _lives - 1 && _rng.Next(12) == 0 && PickDataOffset(_dirs[0], out string first, out long at) && BeforeLastCommit(first, at))
        {
            string name = Path.GetFileName(first);
            bool corrupt = _rng.Next(2) == 0;
            foreach (string dir in _dirs)
            {
                string path = dir + "/" + name;
                var image = _device.ReadVolatile(path);
                if (image is null || image.Length <= at) continue;
                if (corrupt) _device.CorruptSector(path, at);
                else _device.FailReads(path, at / SimulatedDevice.SectorSize * SimulatedDevice.SectorSize, SimulatedDevice.SectorSize);
            }
            _mayRefuse = true;
            Log($"  {(corrupt ? "corrupted" : "made unreadable")} the sector at {at} of {name} in EVERY mirror, before the last commit: the store must refuse to open, or open with every check holding");
        }
    }

    /// <summary>
    /// Whether <paramref name="offset"/> lies before the last group commit of the log in mirror 0 (any offset of an
    /// earlier file does). Damage in every mirror there is proven by the later commit, so recovery must refuse rather
    /// than cut; damage inside the last commit looks just like an unacknowledged torn write (a disk persists the sectors
    /// of one write in any order), which recovery rightly cuts, so the simulation never damages every mirror there.
    /// </summary>
    private bool BeforeLastCommit(string path, long offset)
    {
        // The last commit as recovery will see it: the log is the chain of frames with consecutive LSNs from the first
        // file on (a recycled file's old frames after the end, or in a file prepared ahead, are not part of it), and at
        // each position a valid frame in ANY mirror continues it (one mirror's copy alone may be shorter, or damaged).
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string dir in _dirs)
            foreach (string name in _device.ListFiles(dir))
                if (WalFormat.TryParseFileName(name, out _)) files.Add(name);
        string? commitFile = null;
        int commitPosition = -1;
        long expected = -1;
        foreach (string name in files)
        {
            var images = new List<byte[]>();
            foreach (string dir in _dirs)
                if (_device.ReadVolatile(Path.Combine(dir, name)) is { Length: > WalFormat.FileHeaderSize } image) images.Add(image);
            if (images.Count == 0) break;
            var storeId = new Guid(images[0].AsSpan(16, 16));
            int position = WalFormat.FileHeaderSize;
            bool any = false;
            while (true)
            {
                int length = 0;
                foreach (var image in images)
                {
                    if (position >= image.Length) continue;
                    var span = image.AsSpan(position);
                    if ((length = WalFormat.ValidFrameLength(span, storeId)) == 0) continue;
                    long lsn = WalFormat.FrameLsn(span);
                    if (expected >= 0 && lsn != expected)
                    {
                        length = 0;
                        continue;
                    }
                    expected = lsn + 1;
                    if (WalFormat.FrameBatchLsn(span) == lsn) (commitFile, commitPosition) = (name, position);
                    break;
                }
                if (length == 0) break;
                any = true;
                position += length;
            }
            if (!any) break; // the chain ends in the file before
        }
        if (commitFile is null) return false;
        int order = string.CompareOrdinal(Path.GetFileName(path), commitFile);
        if (order != 0) return order < 0;
        // The whole damaged sector must lie before the last commit, or damage reaches into it (and then looks torn).
        return (offset / SimulatedDevice.SectorSize + 1) * SimulatedDevice.SectorSize <= commitPosition;
    }

    /// <summary>A random offset among the bytes written to a random log file of <paramref name="dir"/>.</summary>
    private bool PickDataOffset(string dir, out string path, out long offset)
    {
        var files = new List<string>();
        foreach (string name in _device.ListFiles(dir))
            if (name.StartsWith("wal-", StringComparison.Ordinal) && name.EndsWith(".log", StringComparison.Ordinal)) files.Add(name);
        path = "";
        offset = 0;
        if (files.Count == 0) return false;
        path = dir + "/" + files[_rng.Next(files.Count)];
        var image = _device.ReadVolatile(path)!;
        int last = image.AsSpan().LastIndexOfAnyExcept((byte)0);
        if (last < 0) return false;
        offset = _rng.NextInt64(last + 1);
        return true;
    }

    // ---- workload ----

    private async Task StepAsync()
    {
        int r = _rng.Next(100);
        if (r < 30)
        {
            var slot = PickSlot();
            int n = _rng.Next(1, 6);
            Log($"  {n} writes one by one ({slot}) from a{_nextAttempt}");
            for (int i = 0; i < n; i++) await ResolveAsync(StartFreshWrite(slot), abandoned: false);
        }
        else if (r < 65)
        {
            var slot = PickSlot();
            int n = _rng.Next(2, 13);
            Log($"  {n} concurrent writes ({slot}) from a{_nextAttempt}");
            var started = new List<Attempt>();
            for (int i = 0; i < n; i++)
            {
                started.Add(StartFreshWrite(slot));
                MaybeCommit();
            }
            foreach (var a in started) await ResolveAsync(a, abandoned: false);
        }
        else if (r < 82)
        {
            StartBurst();
            await ResolveAllAsync(abandoned: false);
        }
        else if (r < 86 && !_failureObserved)
        {
            await TruncateAtTailAsync();
        }
        else if (r < 90 && !_failureObserved)
        {
            await ScaleAsync();
        }
        else if (r < 94 && !_failureObserved)
        {
            await TransactionAsync();
        }
        else
        {
            await RunMetadataAsync(PickMetadataCall());
        }
        MaybeTier();
    }

    /// <summary>
    /// Truncates a stream at its durable tail, with nothing of it in flight: every resolved attempt on it is then gone
    /// (its number, if it was durable, still taken), and the WAL files it filled can be dropped at the next checkpoint.
    /// </summary>
    private async Task TruncateAtTailAsync()
    {
        var candidates = _model.Streams.Values.Where(s => s.Confirmed && _model.Scopes[s.Scope] && !s.SealAttempted && !s.ObservedSealed).ToList();
        if (candidates.Count == 0) return;
        // Half the time every stream: only then do the oldest files hold no live byte and go.
        var streams = _rng.Next(2) == 0 ? candidates : [candidates[_rng.Next(candidates.Count)]];
        foreach (var stream in streams)
        {
            if (_failureObserved) return;
            await TruncateAtTailAsync(stream);
        }
    }

    private async Task TruncateAtTailAsync(StreamModel stream)
    {
        StreamInfo info;
        try
        {
            info = await SettleAsync(_store!.Streams.GetStreamInfoAsync(stream.Scope, stream.Stream));
        }
        catch (IOException)
        {
            _failureObserved = true;
            return;
        }
        var taken = _model.Attempts.Where(a => a.Slot.Scope == stream.Scope && a.Slot.Stream == stream.Stream && a.Outcome != CallOutcome.Pending
                                               && a.Truncation == TruncationKind.None).ToList();
        var call = StartMetadata($"truncate {stream.Scope} {stream.Stream} at its tail", () => _store!.Streams.TruncateStreamAsync(stream.Scope, stream.Stream, info.Tail), (_, _) => { });
        foreach (var a in taken) a.DurableWhenTruncated = a.Outcome is CallOutcome.Written or CallOutcome.Duplicate || a.Settled == true;
        await RunMetadataAsync(call);
        foreach (var a in taken) a.Truncation = call.Outcome == CallOutcome.Written ? TruncationKind.Done : TruncationKind.Maybe;
        foreach (var t in _model.Transactions)
            if (t.Scope == stream.Scope && t.Stream == stream.Stream && t.Stage is TransactionStage.Committing or TransactionStage.Committed) t.MaybeTruncated = true;
    }

    /// <summary>
    /// A transaction on a random stream: begun, given 1-8 concurrent writes, then committed, aborted or left open, each step
    /// settled before the next (the process may die inside any of them).
    /// </summary>
    private async Task TransactionAsync()
    {
        var candidates = _model.Streams.Values.Where(s => s.Confirmed && _model.Scopes[s.Scope] && !s.SealAttempted && !s.ObservedSealed).ToList();
        if (candidates.Count == 0) return;
        var stream = candidates[_rng.Next(candidates.Count)];
        var t = new TransactionModel(_model.Transactions.Count, stream.Scope, stream.Stream, _rng.Next(1, 9));
        int choice = _rng.Next(10);
        var paddings = Enumerable.Range(0, t.Count).Select(_ => _rng.Next(0, 600)).ToList();
        _model.Transactions.Add(t);
        Log($"  {t}: begin, {t.Count} writes, then {(choice < 6 ? "commit" : choice < 9 ? "abort" : "leave open")}");
        try
        {
            var txn = await SettleAsync(_store!.CreateTransactionalWriter(stream.Scope, stream.Stream, Serializers.Utf8).BeginTransactionAsync());
            t.Stage = TransactionStage.Open;
            t.Id = txn.TransactionId;
            var writes = Enumerable.Range(0, t.Count).Select(i => txn.WriteEventAsync(Keys[i % Keys.Length], $"x{t.Index}:{i}:{t.Count}:" + new string('p', paddings[i]))).ToList();
            await SettleAsync(Task.WhenAll(writes));
            if (choice < 6)
            {
                t.Stage = TransactionStage.Committing;
                await SettleAsync(txn.CommitAsync());
                t.Stage = TransactionStage.Committed;
            }
            else if (choice < 9)
            {
                t.Stage = TransactionStage.Aborted;
                await SettleAsync(txn.AbortAsync());
                t.AbortCompleted = true;
            }
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException)
        {
            _failureObserved = true;
        }
        catch (Exception e) when (e is StreamNotFoundException or StreamSealedException or ScopeNotFoundException or TransactionFailedException)
        {
            if (t.Stage == TransactionStage.Committing) Violation($"{t}: its commit failed with {e.GetType().Name}, with nothing to abort it");
            t.Stage = TransactionStage.Aborted; // never visible: never begun, or aborted by a seal
        }
    }

    /// <summary>
    /// Splits a random active segment of a stream in two, or merges two adjacent ones: afterwards the stream has the new
    /// layout if the call completed, and the old or the new one if it failed.
    /// </summary>
    private async Task ScaleAsync()
    {
        var candidates = _model.Streams.Values.Where(s => s.Confirmed && _model.Scopes[s.Scope] && !s.SealAttempted && !s.ObservedSealed).ToList();
        if (candidates.Count == 0) return;
        var stream = candidates[_rng.Next(candidates.Count)];
        IReadOnlyList<SegmentRange> active;
        try
        {
            active = await SettleAsync(_store!.Streams.GetActiveSegmentsAsync(stream.Scope, stream.Stream));
        }
        catch (IOException)
        {
            _failureObserved = true;
            return;
        }
        long[] seal;
        KeyRange[] ranges;
        if (active.Count < 6 && (active.Count == 1 || _rng.Next(2) == 0))
        {
            var s = active[_rng.Next(active.Count)];
            double middle = (s.KeyRange.Low + s.KeyRange.High) / 2;
            (seal, ranges) = ([s.SegmentId], [new KeyRange(s.KeyRange.Low, middle), new KeyRange(middle, s.KeyRange.High)]);
        }
        else
        {
            int i = _rng.Next(active.Count - 1);
            (seal, ranges) = ([active[i].SegmentId, active[i + 1].SegmentId], [new KeyRange(active[i].KeyRange.Low, active[i + 1].KeyRange.High)]);
        }
        // The layout after it: the new segments get the next epoch and the next numbers (after the newest, which is active).
        int epoch = (int)(active.Max(a => a.SegmentId >> 32) + 1), number = active.Max(a => (int)a.SegmentId) + 1;
        var after = active.Where(a => !seal.Contains(a.SegmentId)).Select(a => (a.SegmentId, a.KeyRange))
                          .Concat(ranges.Select((r, i) => (((long)epoch << 32) | (uint)(number + i), r)))
                          .OrderBy(a => a.Item2.Low)
                          .Select(a => new SegmentRange(stream.Scope, stream.Stream, a.Item1, a.Item2, 0, 0)).ToList();
        string before = Layout(active), next = Layout(after);
        if (stream.Layouts.Count == 0) stream.Layouts.Add(before);
        stream.Layouts.Add(next);
        var call = StartMetadata($"scale {stream.Scope} {stream.Stream}: {before} -> {next}",
                                 () => _store!.Streams.ScaleStreamAsync(stream.Scope, stream.Stream, seal, ranges), (_, _) =>
                                 {
                                     stream.Layouts.Clear();
                                     stream.Layouts.Add(next);
                                 });
        await RunMetadataAsync(call);
    }

    /// <summary>Active segments as text: each id with its range, in key order.</summary>
    private static string Layout(IEnumerable<SegmentRange> active) =>
        string.Join(" ", active.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.SegmentId >> 32}.{(int)a.SegmentId}[{a.KeyRange.Low:R},{a.KeyRange.High:R})")));

    /// <summary>Concurrent writes from two writers, sometimes with a metadata call among them; not awaited.</summary>
    private void StartBurst()
    {
        var first = PickSlot();
        var second = PickSlot();
        int n = _rng.Next(2, 10);
        int metadataAt = _rng.Next(3) == 0 ? _rng.Next(n) : -1;
        for (int i = 0; i < n; i++)
        {
            if (i == metadataAt)
            {
                var call = PickMetadataCall();
                _unresolvedMeta.Add(call);
                Log($"  (in the burst: {call.Description})");
            }
            _unresolved.Add(StartFreshWrite(_rng.Next(2) == 0 ? first : second));
            MaybeCommit();
        }
        Log($"  burst of {n} writes ({first}, {second}){(metadataAt >= 0 ? " with a metadata call" : "")}, to a{_nextAttempt - 1}");
    }

    private WriterSlot PickSlot() => _model.Slots[_rng.Next(_model.Slots.Count)];

    private Attempt StartFreshWrite(WriterSlot slot)
    {
        if (slot.FixedId is null) return StartWrite(slot, null, null);
        long number = slot.NextNumber;
        slot.NextNumber = number + 1 + (_rng.Next(10) == 0 ? _rng.Next(1, 4) : 0);
        return StartWrite(slot, number, null);
    }

    private Attempt StartWrite(WriterSlot slot, long? number, WriteResult? expected)
    {
        int id = _nextAttempt++;
        int padding = _rng.Next(10) == 0 ? _rng.Next(1000, 4000) : _rng.Next(0, 300);
        string key = Keys[_rng.Next(Keys.Length)];
        string payload = $"a{id}:{slot.CurrentId}:{(number is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-")}:" + new string('p', padding);
        Task task;
        try
        {
            task = number is { } e ? slot.Writer!.WriteEventAsync(key, payload, e) : slot.Writer!.WriteEventAsync(key, payload);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        if (number is { } m && m >= slot.NextNumber) slot.NextNumber = m + 1;
        var attempt = new Attempt
        {
            Id = id,
            Slot = slot,
            WriterId = slot.CurrentId,
            Life = _life,
            CallIndex = slot.Calls++,
            Number = number,
            Expected = expected,
            AfterObservedFailure = _failureObserved,
            Task = task,
        };
        _model.Attempts.Add(attempt);
        _model.AttemptsById.Add(id, attempt);
        return attempt;
    }

    private MetadataCall PickMetadataCall()
    {
        var scopes = new List<string>();
        foreach (var (name, confirmed) in _model.Scopes)
            if (confirmed) scopes.Add(name);
        var streams = new List<StreamModel>();
        foreach (var s in _model.Streams.Values)
            if (s.Confirmed && _model.Scopes[s.Scope]) streams.Add(s);
        int r = _rng.Next(100);
        if (r < 25) return CreateScope(_rng.Next(3) == 0 && scopes.Count > 0 ? scopes[_rng.Next(scopes.Count)] : $"x{_nextName++}");
        if (r < 55) return CreateStream(scopes[_rng.Next(scopes.Count)], _rng.Next(4) == 0 && streams.Count > 0 ? streams[_rng.Next(streams.Count)].Stream : $"s{_nextName++}", _rng.Next(1, 5));
        var stream = streams[_rng.Next(streams.Count)];
        if (r < 85) return CreateReaderGroup(stream, $"g{_nextName++}");
        return Seal(stream);
    }

    private MetadataCall CreateScope(string scope)
    {
        _model.Scopes.TryAdd(scope, false);
        return StartMetadata($"create-scope {scope}", () => _store!.Streams.CreateScopeAsync(scope), (m, _) => m.Scopes[scope] = true);
    }

    private MetadataCall CreateStream(string scope, string stream, int segments)
    {
        if (!_model.Streams.TryGetValue((scope, stream), out var model)) _model.Streams.Add((scope, stream), model = new StreamModel(scope, stream, segments));
        else if (!model.Confirmed) model.Segments.Add(segments);
        var config = new StreamConfiguration { ScalingPolicy = ScalingPolicy.Fixed(segments) };
        return StartMetadata($"create-stream {scope} {stream} Fixed({segments})", () => _store!.Streams.CreateStreamAsync(scope, stream, config), (m, created) =>
        {
            m.Scopes[scope] = true;
            model.Confirmed = true;
            if (created)
            {
                model.Segments.Clear();
                model.Segments.Add(segments);
            }
        });
    }

    private MetadataCall CreateReaderGroup(StreamModel stream, string group)
    {
        _model.Groups.TryAdd((stream.Scope, group), false);
        return StartMetadata($"create-reader-group {stream.Scope} {group} on {stream.Stream}",
                             () => _store!.ReaderGroups.CreateReaderGroupAsync(stream.Scope, group, ReaderGroupConfig.ForStream(stream.Scope, stream.Stream)),
                             (m, _) => m.Groups[(stream.Scope, group)] = true);
    }

    private MetadataCall Seal(StreamModel stream)
    {
        bool first = !stream.SealAttempted; // sealing a sealed stream writes nothing
        stream.SealAttempted = true;
        return StartMetadata($"seal {stream.Scope} {stream.Stream}", () => _store!.Streams.SealStreamAsync(stream.Scope, stream.Stream), (_, _) => stream.SealConfirmed = true, first);
    }

    /// <param name="call">The call; a <c>Task&lt;bool&gt;</c> answering false changed nothing (it found the name there).</param>
    private MetadataCall StartMetadata(string description, Func<Task> call, Action<SimulationModel, bool> onCompleted, bool changes = true)
    {
        Task task;
        try
        {
            task = call();
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        var m = new MetadataCall { Description = description, Task = task, OnCompleted = onCompleted, AfterObservedFailure = _failureObserved && changes };
        _model.MetadataCalls.Add(m);
        return m;
    }

    private async Task RunMetadataAsync(MetadataCall call)
    {
        await ResolveAsync(call, abandoned: false);
        Log($"  {call.Description}: {call.Outcome}{(call.Error is null ? "" : $" ({call.Error.GetType().Name})")}{(call.Changed ? "" : " (answered false)")}");
        CheckNow(call.Description);
    }

    // ---- outcomes ----

    private async Task ResolveAllAsync(bool abandoned)
    {
        foreach (var a in _unresolved) await ResolveAsync(a, abandoned);
        _unresolved.Clear();
        foreach (var m in _unresolvedMeta)
        {
            await ResolveAsync(m, abandoned);
            Log($"  {m.Description}: {m.Outcome}{(m.Error is null ? "" : $" ({m.Error.GetType().Name})")}{(m.Changed ? "" : " (answered false)")}");
        }
        _unresolvedMeta.Clear();
        CheckNow("outcomes");
    }

    private async Task ResolveAsync(Attempt a, bool abandoned)
    {
        if (a.Outcome != CallOutcome.Pending) return;
        try
        {
            if (a.Task is Task<WriteResult> numbered)
            {
                var result = await SettleAsync(numbered);
                a.Outcome = result == WriteResult.Duplicate ? CallOutcome.Duplicate : CallOutcome.Written;
            }
            else
            {
                await SettleAsync(a.Task);
                a.Outcome = CallOutcome.Written;
            }
        }
        catch (TimeoutException) when (!a.Task.IsCompleted)
        {
            a.Outcome = CallOutcome.Unknown;
            Violation($"{a}: {(abandoned ? "still pending after its store was disposed" : "hung")} ({HangTimeout.TotalSeconds} s)");
            return;
        }
        catch (Exception e)
        {
            a.Error = e;
            a.Outcome = Classify(e, a.ToString());
        }
        if (a.Expected is { } expected && a.Outcome is CallOutcome.Written or CallOutcome.Duplicate &&
            (a.Outcome == CallOutcome.Duplicate) != (expected == WriteResult.Duplicate))
            Violation($"{a}: the resend answered {a.Outcome}, but the model expected {expected} (number {(IsNumberPresent(a.WriterId, a.Number!.Value) ? "present" : "absent")} after recovery)");
        if (a.Outcome == CallOutcome.Written && a.AfterObservedFailure)
            Violation($"{a}: acknowledged although the log had already failed in this life (fail-stop)");
        if (a.Outcome == CallOutcome.Written && _model.Streams[(a.Slot.Scope, a.Slot.Stream)].SealConfirmed)
            Violation($"{a}: acknowledged on a stream whose seal had completed");
    }

    private async Task ResolveAsync(MetadataCall m, bool abandoned)
    {
        if (m.Outcome != CallOutcome.Pending) return;
        try
        {
            // A create that answers false found the name there: it had nothing to write (so it may complete on a failed log).
            if (m.Task is Task<bool> created) m.Changed = await SettleAsync(created);
            else await SettleAsync(m.Task);
            m.Outcome = CallOutcome.Written;
            m.OnCompleted(_model, m.Changed);
        }
        catch (TimeoutException) when (!m.Task.IsCompleted)
        {
            m.Outcome = CallOutcome.Unknown;
            Violation($"{m.Description}: {(abandoned ? "still pending after its store was disposed" : "hung")}");
            return;
        }
        catch (Exception e)
        {
            m.Error = e;
            m.Outcome = Classify(e, m.Description);
            if (m.Outcome == CallOutcome.NotAppended && e is not ObjectDisposedException)
                Violation($"{m.Description}: failed with {e.GetType().Name}: {e.Message}");
        }
        if (m.Outcome == CallOutcome.Written && m.AfterObservedFailure && m.Changed)
            Violation($"{m.Description}: completed although the log had already failed in this life (fail-stop)");
    }

    private CallOutcome Classify(Exception e, string what)
    {
        switch (e)
        {
            case IOException:
                if (_store is not null) _failureObserved = true;
                return CallOutcome.Failed;
            case StreamSealedException or StreamNotFoundException or ObjectDisposedException:
                return CallOutcome.NotAppended;
            default:
                Violation($"{what}: unexpected {e}");
                return CallOutcome.Failed;
        }
    }

    // ---- helpers ----

    /// <summary>Whether the number is taken: its event is present, or was durable when a truncation took it.</summary>
    private bool IsNumberPresent(string writerId, long number)
    {
        foreach (var a in _model.Attempts)
            if (a.WriterId == writerId && a.Number == number && (a.Settled == true || a.DurableWhenTruncated)) return true;
        return false;
    }

    private long MaxPresentNumber(string writerId)
    {
        long max = -1;
        foreach (var a in _model.Attempts)
            if (a.WriterId == writerId && (a.Settled == true || a.DurableWhenTruncated) && a.Number is { } n && n > max) max = n;
        return max;
    }

    private static bool IsLogFile(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal) && Path.GetFileName(path).StartsWith("wal-", StringComparison.Ordinal) && path.EndsWith(".log", StringComparison.Ordinal);

    /// <summary>
    /// In a commit: one the run steps (<see cref="CommitStep"/>), or, with the log's own threads, the flusher's and the
    /// mirror writers' work; not the file preparer's or recovery's, whose timing varies with threads.
    /// </summary>
    private bool OnLogThread() => _stepped ? _committing
        : Thread.CurrentThread.Name is { } name && name.StartsWith("pravega-wal-", StringComparison.Ordinal);

    private void Log(string line) => _log.Add(line);

    private void Violation(string message) => _violations.Add(message);

    /// <summary>Throws if a violation was recorded (at <paramref name="where"/>).</summary>
    private void CheckNow(string where)
    {
        if (_violations.Count == 0) return;
        Log($"(violations found at: {where})");
        throw Failure();
    }

    private SimulationViolationException Failure()
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Store simulation seed {_seed} failed in life {_life}. Replay: {ReplayCommand(_seed)}\n");
        foreach (string v in _violations) text.Append("  VIOLATION: ").Append(v).Append('\n');
        text.Append("Run log:\n");
        int from = Math.Max(0, _log.Count - 120);
        if (from > 0) text.Append(CultureInfo.InvariantCulture, $"  ... ({from} earlier lines)\n");
        for (int i = from; i < _log.Count; i++) text.Append("  ").Append(_log[i]).Append('\n');
        return new SimulationViolationException(text.ToString());
    }
}
