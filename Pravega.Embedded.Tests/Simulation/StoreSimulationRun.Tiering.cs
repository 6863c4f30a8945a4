using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// Tier-2 in the simulation: most seeds run with a Tier-2 directory on the simulated device, a small Tier-1 bound and
/// small chunks, so tiering passes, the checkpoints after them and the WAL files they drop happen often. A stepped run
/// drives the tierer itself (<see cref="SegmentTierer.RunOnceAsync"/>: after opening, now and then between calls, and
/// among the commits the process dies in); with log threads the tierer runs its own loop.
/// </summary>
internal sealed partial class StoreSimulationRun
{
    private const string Tier2Root = "/sim/tier2";
    private static readonly long[] ChunkSizes = [4 << 10, 16 << 10, 1 << 20];

    /// <summary>The open store's tierer when the run steps it; null otherwise.</summary>
    private SegmentTierer? SteppedTierer => _stepped && _store is { } store ? store.Runtime.Container.Tierer : null;

    /// <summary>
    /// One tiering round of a stepped run (it completes at once: the simulated device does not block); false when it had
    /// nothing to do or failed (a failure is the tierer's to log, as on its loop: the data stays in Tier-1).
    /// </summary>
    private bool TierStep()
    {
        if (SteppedTierer is not { } tierer || SteppedLog is not { } log) return false;
        // The log commits now and then between the round's device changes, as its flusher would: the round's records
        // become durable while it still writes, so an order that puts a record before the Tier-2 bytes it vouches for shows.
        var interleave = new Random(unchecked((_seed * 131) + _log.Count));
        var previous = _device.Mutated;
        _device.Mutated = () =>
        {
            previous?.Invoke();
            if (!_committing && !_process!.IsDead && interleave.Next(4) == 0) CommitStep(log);
        };
        Task<bool> round;
        try
        {
            round = tierer.RunOnceAsync(CancellationToken.None);
        }
        finally
        {
            _device.Mutated = previous;
        }
        if (!round.IsCompleted) throw new InvalidOperationException("A stepped tiering round did not complete at once.");
        if (round.IsCompletedSuccessfully) return round.Result;
        var error = round.Exception!.InnerException!;
        Log($"  tiering round failed: {error.GetType().Name}");
        if (!tierer.Ready.IsCompletedSuccessfully && !_process!.IsDead)
            Violation($"life {_life}: the tierer could not load the manifests or sweep at open: {error}");
        return false;
    }

    /// <summary>Sometimes (by the seed, drawn in both modes) a tiering round between calls.</summary>
    private void MaybeTier()
    {
        if (_rng.Next(3) == 0 && TierStep()) Log("  tiering round");
    }

    /// <summary>
    /// After the first round of a reopened store (the sweep): every data chunk in Tier-2 is one a segment's committed
    /// manifest or an open transaction's staging refers to, and no chunk is referred to twice.
    /// </summary>
    private void CheckTier2()
    {
        if (SteppedTierer is null) return;
        var referenced = new Dictionary<string, int>(StringComparer.Ordinal);
        var container = _store!.Runtime.Container;
        lock (container.Lock)
        {
            foreach (var segment in container.AllSegments)
                foreach (var extent in segment.View?.Extents ?? [])
                    referenced[Tier2Root + "/" + extent.Chunk] = referenced.GetValueOrDefault(Tier2Root + "/" + extent.Chunk) + 1;
            foreach (var (_, _, name) in container.StagedChunks) // open transactions' staged events (a stage pass of this round, too)
                referenced[Tier2Root + "/" + name] = referenced.GetValueOrDefault(Tier2Root + "/" + name) + 1;
        }
        foreach (var (chunk, count) in referenced)
            if (count > 1) Violation($"life {_life}: chunk '{chunk}' is referenced {count} times");
        foreach (var file in _device.Files())
        {
            if (file.VolatileLength is null || !file.Path.StartsWith(Tier2Root + "/", StringComparison.Ordinal) || !file.Path.EndsWith(".chunk", StringComparison.Ordinal)) continue;
            if (!referenced.ContainsKey(file.Path)) Violation($"life {_life}: chunk '{file.Path}' is in Tier-2 but no manifest refers to it (an orphan the sweep left)");
        }
        foreach (string chunk in referenced.Keys)
            if (_device.ReadVolatile(chunk) is null) Violation($"life {_life}: a manifest refers to chunk '{chunk}', which is gone");
        CheckNow("Tier-2 after the sweep");
    }
}
