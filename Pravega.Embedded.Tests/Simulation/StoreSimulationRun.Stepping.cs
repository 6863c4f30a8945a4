using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// How the run drives a stepped log (<see cref="WalOptions.Stepped"/>): it commits whenever it waits for a call, now and
/// then among the calls it starts, and, at the end of a life, up to an exact device operation where its process dies.
/// With the log's own threads (<c>_stepped</c> false) the same methods only wait.
/// </summary>
internal sealed partial class StoreSimulationRun
{
    private bool _committing;

    /// <summary>The open store's log when the run steps it; null otherwise.</summary>
    private WriteAheadLog? SteppedLog => _stepped && _store is { } store ? store.Runtime.Container.Log : null;

    /// <summary>One group commit of everything appended so far; false when nothing was waiting.</summary>
    private bool CommitStep(WriteAheadLog log)
    {
        _committing = true;
        try
        {
            return log.CommitNext();
        }
        finally
        {
            _committing = false;
        }
    }

    /// <summary>Sometimes (by the seed) commits among calls, so commits hold one call's record or many.</summary>
    private void MaybeCommit()
    {
        if (SteppedLog is { } log && _rng.Next(4) == 0) CommitStep(log);
    }

    /// <summary>Commits until <paramref name="task"/> completes (a stepped log), then awaits it, failing after <see cref="HangTimeout"/>.</summary>
    private async Task SettleAsync(Task task)
    {
        if (SteppedLog is { } log)
        {
            while (!task.IsCompleted && CommitStep(log))
            {
            }
        }
        await task.WaitAsync(HangTimeout);
    }

    /// <inheritdoc cref="SettleAsync(Task)"/>
    private async Task<T> SettleAsync<T>(Task<T> task)
    {
        await SettleAsync((Task)task);
        return await task;
    }

    /// <summary>
    /// The process dies with what it started still in flight: a stepped log commits on until the device has made a number
    /// of changes the seed chooses (none to a dozen or so) and <paramref name="die"/> strikes right after the last of
    /// them, inside a commit (or at once when nothing is left to commit). With log threads, it strikes after 0-2 ms.
    /// </summary>
    private async Task DieInFlightAsync(Action die)
    {
        // Drawn in both modes, so that a seed's later draws do not depend on the mode.
        int allowed = _rng.Next(-1, 16);
        if (SteppedLog is not { } log)
        {
            if (allowed % 3 > 0) await Task.Delay(allowed % 3);
            die();
            return;
        }
        bool dead = false;
        if (allowed >= 0)
        {
            int made = 0;
            _device.Mutated = () =>
            {
                if (dead || ++made <= allowed) return;
                dead = true;
                die();
            };
            var order = new Random(allowed * 7919 + _life); // not the run's generator: how many draws this takes depends on the mode
            try
            {
                while (!dead)
                {
                    // Tiering rounds among the commits: the process can die in a pass, or in the checkpoint after one.
                    if (order.Next(3) == 0 && TierStep()) continue;
                    if (!CommitStep(log)) break;
                }
            }
            finally
            {
                _device.Mutated = null;
            }
            Log($"  (the process dies after {made} device changes of the commits in flight{(dead ? "" : ", all of them")})");
        }
        if (!dead) die();
    }

    /// <summary>What two runs of one seed must agree on: the run log, each call's outcome, and every byte on the device.</summary>
    private string Transcript()
    {
        var text = new StringBuilder();
        foreach (string line in _log) text.Append(line).Append('\n');
        foreach (var a in _model.Attempts) text.Append(CultureInfo.InvariantCulture, $"a{a.Id}: {a.Outcome}\n");
        foreach (var m in _model.MetadataCalls) text.Append(CultureInfo.InvariantCulture, $"{m.Description}: {m.Outcome}\n");
        foreach (var file in _device.Files())
        {
            var durable = _device.ReadDurable(file.Path) ?? [];
            var now = _device.ReadVolatile(file.Path) ?? [];
            text.Append(CultureInfo.InvariantCulture, $"{file}: durable {Convert.ToHexString(SHA256.HashData(durable))[..16]}, now {Convert.ToHexString(SHA256.HashData(now))[..16]}\n");
        }
        return text.ToString();
    }
}
