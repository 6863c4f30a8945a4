using Microsoft.Extensions.Logging;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Controller;

/// <summary>
/// Scales streams with a rate policy, every <see cref="AutoScaleOptions.CheckInterval"/> on the store's clock (see
/// <see cref="AutoScaleOptions"/> for the rules, which are Pravega's). A check samples each active segment's appended
/// events and bytes, updates its moving averages, and makes at most one decision per stream: split the hottest hot
/// segment, or else merge the coldest pair of adjacent cold ones. A decision is one scale record, through the same
/// path as <see cref="StreamController.ScaleStreamAsync"/>; replay applies it again without the scaler, so a reopen
/// never scales twice. The rates live only in memory: after a reopen every segment starts its cooldown again.
/// </summary>
/// <remarks>
/// Everything here runs under the container lock: the samples, the decisions, and the hook the controller calls after
/// every scale (manual ones too), which starts the stream's cooldown and gives each new segment the rates of the part of
/// its predecessors' ranges it took over, so that a split does not look cold and a merge not cold-then-hot.
/// </remarks>
internal sealed class AutoScaler : IAsyncDisposable
{
    /// <summary>The windows of the four averages, as multiples of <see cref="AutoScaleOptions.RateWindow"/> (Pravega: 2, 5, 10, 20 minutes).</summary>
    private static readonly double[] WindowFactors = [1, 2.5, 5, 10];

    private readonly StreamController _controller;
    private readonly SegmentContainer _container;
    private readonly TimeProvider _time;
    private readonly AutoScaleOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<StreamSegment, Rates> _rates = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<StreamState, long> _lastScale = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<StreamState> _seen = new(ReferenceEqualityComparer.Instance);   // every stream a check (or the start) saw
    private readonly HashSet<StreamState> _sampled = new(ReferenceEqualityComparer.Instance); // those with a rate policy then
    private readonly object _sync = new();
    private ITimer? _timer;
    private long _lastCheck;
    private bool _stopped;

    public AutoScaler(StreamController controller, SegmentContainer container, TimeProvider time, AutoScaleOptions options, ILogger logger)
    {
        _controller = controller;
        _container = container;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>A segment's averages (events/s and bytes/s per window) and what was appended when they were last updated.</summary>
    private sealed class Rates(long seenAt, long events, long bytes)
    {
        public long SeenAt { get; } = seenAt;
        public long Events { get; set; } = events;
        public long Bytes { get; set; } = bytes;
        public double[] EventRates { get; } = new double[WindowFactors.Length];
        public double[] ByteRates { get; } = new double[WindowFactors.Length];
    }

    /// <summary>Listens to scales and starts the timer (none if the check interval is infinite).</summary>
    public void Start()
    {
        lock (_container.Lock)
        {
            _controller.Scaled = OnScaled;
            _lastCheck = _time.GetTimestamp();
            // What the log replayed is not load: the segments there at open start from their counts now, and their age
            // (for the cooldown) from now.
            foreach (var stream in _controller.LiveStreams)
            {
                _seen.Add(stream);
                if (stream.Config.ScalingPolicy.Kind == ScalingPolicyKind.Fixed) continue;
                _sampled.Add(stream);
                StartOver(stream, _lastCheck);
            }
        }
        if (_options.CheckInterval == Timeout.InfiniteTimeSpan) return;
        lock (_sync)
        {
            if (_stopped) return;
            _timer = _time.CreateTimer(static s => ((AutoScaler)s!).OnTick(), this, _options.CheckInterval, _options.CheckInterval);
        }
    }

    private void OnTick()
    {
        lock (_sync)
        {
            if (_stopped) return;
            try
            {
                Check();
            }
#pragma warning disable CA1031 // a failed check (the log failed) is logged; the next tick tries again
            catch (Exception e)
#pragma warning restore CA1031
            {
                ControllerLog.AutoScaleFailed(_logger, e);
            }
        }
    }

    /// <summary>
    /// One check: samples every stream with a rate policy and makes its decision (the cost is that of the rate-scaled
    /// segments: fixed streams are only looked at). Returns the number of scales made (tests).
    /// </summary>
    public int Check()
    {
        int scales = 0;
        lock (_container.Lock)
        {
            long now = _time.GetTimestamp(), previous = _lastCheck;
            double seconds = _time.GetElapsedTime(previous, now).TotalSeconds;
            _lastCheck = now;
            // Rates are kept for the active segments of rate-scaled streams only.
            foreach (var gone in _rates.Keys.Where(s => s.Data.IsSealed || s.Data.IsDeleted).ToList()) _rates.Remove(gone);
            foreach (var gone in _lastScale.Keys.Where(s => s.IsDeleted).ToList()) _lastScale.Remove(gone);
            _seen.RemoveWhere(s => s.IsDeleted);
            _sampled.RemoveWhere(s => s.IsDeleted);
            foreach (var stream in _controller.LiveStreams)
            {
                bool created = _seen.Add(stream); // since the last check: its segments start from nothing then
                if (stream.IsSealed || stream.Config.ScalingPolicy.Kind == ScalingPolicyKind.Fixed)
                {
                    if (_sampled.Remove(stream))
                        foreach (var segment in stream.ActiveSegments) _rates.Remove(segment);
                    continue;
                }
                if (_sampled.Add(stream) && !created)
                {
                    // Its policy became a rate policy since the last check: what it appended before is not a rate, and
                    // its segments' cooldown starts now.
                    StartOver(stream, now);
                    continue;
                }
                foreach (var segment in stream.ActiveSegments) Sample(segment, seconds, previous);
                if (Decide(stream, now)) scales++;
            }
        }
        return scales;
    }

    /// <summary>The stream's active segments start their averages and their age at <paramref name="at"/>, from their counts now.</summary>
    private void StartOver(StreamState stream, long at)
    {
        foreach (var segment in stream.ActiveSegments) _rates[segment] = new Rates(at, segment.Data.EventCount, segment.Data.Length);
    }

    /// <summary>
    /// Updates a segment's averages with what was appended since the last check. A segment seen for the first time was
    /// created since then (a new stream's): it starts from nothing at the last check.
    /// </summary>
    private void Sample(StreamSegment segment, double seconds, long previous)
    {
        var data = segment.Data;
        if (!_rates.TryGetValue(segment, out var rates)) _rates.Add(segment, rates = new Rates(previous, 0, 0));
        if (seconds <= 0) return;
        double events = (data.EventCount - rates.Events) / seconds, bytes = (data.Length - rates.Bytes) / seconds;
        rates.Events = data.EventCount;
        rates.Bytes = data.Length;
        for (int i = 0; i < WindowFactors.Length; i++)
        {
            double alpha = 1 - Math.Exp(-seconds / (_options.RateWindow.TotalSeconds * WindowFactors[i]));
            rates.EventRates[i] += alpha * (events - rates.EventRates[i]);
            rates.ByteRates[i] += alpha * (bytes - rates.ByteRates[i]);
        }
    }

    /// <summary>The segment's averages in the policy's unit: events per second, or KiB per second.</summary>
    private static double Rate(Rates rates, ScalingPolicy policy, int window) =>
        policy.Kind == ScalingPolicyKind.ByEventRate ? rates.EventRates[window] : rates.ByteRates[window] / 1024;

    private bool Decide(StreamState stream, long now)
    {
        if (_lastScale.TryGetValue(stream, out long last) && _time.GetElapsedTime(last, now) < _options.Cooldown) return false;
        var policy = stream.Config.ScalingPolicy;
        double target = policy.TargetRate;
        var active = stream.ActiveSegments;
        StreamSegment? hottest = null;
        double hottestRate = 0;
        var cold = new bool[active.Count];
        for (int i = 0; i < active.Count; i++)
        {
            if (!_rates.TryGetValue(active[i], out var rates) || _time.GetElapsedTime(rates.SeenAt, now) < _options.Cooldown) continue;
            double r2 = Rate(rates, policy, 0), r5 = Rate(rates, policy, 1), r10 = Rate(rates, policy, 2), r20 = Rate(rates, policy, 3);
            if ((r2 > 5 * target || r5 > 2 * target || r10 > target) && r10 >= hottestRate)
            {
                hottest = active[i];
                hottestRate = r10;
            }
            cold[i] = r2 < target && r5 < target && r10 < target && r20 < target / 2;
        }
        if (hottest is not null)
        {
            int parts = Math.Max(2, policy.ScaleFactor);
            if (!_controller.TryScale(stream, [hottest], KeySpace.Split(hottest.Range, parts))) return false;
            ControllerLog.AutoScaleSplit(_logger, stream.ToString(), hottest.SegmentId, parts, hottestRate, target);
            Telemetry.Scales.Add(1, new KeyValuePair<string, object?>("kind", "split"));
            return true;
        }
        if (active.Count <= policy.MinSegments) return false;
        int pair = -1;
        double pairRate = double.MaxValue;
        for (int i = 0; i + 1 < active.Count; i++)
        {
            if (!cold[i] || !cold[i + 1]) continue;
            double rate = Rate(_rates[active[i]], policy, 3) + Rate(_rates[active[i + 1]], policy, 3);
            if (rate < pairRate)
            {
                pair = i;
                pairRate = rate;
            }
        }
        if (pair < 0) return false;
        var (a, b) = (active[pair], active[pair + 1]);
        if (!_controller.TryScale(stream, [a, b], [new KeyRange(a.Range.Low, b.Range.High)])) return false;
        ControllerLog.AutoScaleMerge(_logger, stream.ToString(), a.SegmentId, b.SegmentId, pairRate, target);
        Telemetry.Scales.Add(1, new KeyValuePair<string, object?>("kind", "merge"));
        return true;
    }

    /// <summary>
    /// After every scale (container lock): the stream's cooldown starts, the sealed segments' rates go, and each new
    /// segment starts with the share of its predecessors' rates that its range took over.
    /// </summary>
    private void OnScaled(StreamState stream, IReadOnlyList<StreamSegment> sealedSegments, IReadOnlyList<StreamSegment> created)
    {
        long now = _time.GetTimestamp();
        _lastScale[stream] = now;
        foreach (var c in created)
        {
            var rates = new Rates(now, c.Data.EventCount, c.Data.Length);
            foreach (var s in sealedSegments)
            {
                if (!_rates.TryGetValue(s, out var old) || !s.Overlaps(c.Range)) continue;
                double share = (Math.Min(s.Range.High, c.Range.High) - Math.Max(s.Range.Low, c.Range.Low)) / (s.Range.High - s.Range.Low);
                for (int i = 0; i < WindowFactors.Length; i++)
                {
                    rates.EventRates[i] += share * old.EventRates[i];
                    rates.ByteRates[i] += share * old.ByteRates[i];
                }
            }
            _rates[c] = rates;
        }
        foreach (var s in sealedSegments) _rates.Remove(s);
    }

    /// <summary>Stops the timer and waits for a check in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_sync) _stopped = true; // a check in progress holds _sync: it is over when this returns
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        lock (_container.Lock) _controller.Scaled = null;
    }
}
