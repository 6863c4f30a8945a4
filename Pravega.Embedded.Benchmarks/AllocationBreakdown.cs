using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// Says what <see cref="AppendAllocationBenchmarks"/> allocates, by type: runs each of its benchmarks many times (by
/// default 4,000 invocations, a million appends, so that amortized growth such as an array doubling shows) and
/// samples allocations with the runtime's GC AllocationTick event (one sample per ~100 KB allocated, attributed to
/// the type being allocated). <c>dotnet run -c Release --project Pravega.Embedded.Benchmarks -- allocs [--invocations N]</c>.
/// </summary>
internal static class AllocationBreakdown
{
    private const int AppendsPerInvocation = 256;

    public static async Task<int> RunAsync(string[] args)
    {
        int invocations = 4_000;
        if (args is ["--invocations", var n]) invocations = int.Parse(n, CultureInfo.InvariantCulture);
        else if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: allocs [--invocations N]");
            return 2;
        }

        (string Name, Action<AppendAllocationBenchmarks> Setup, Func<AppendAllocationBenchmarks, ValueTask> Run)[] cases =
        [
            (nameof(AppendAllocationBenchmarks.Wal_Append), b => b.SetupWal(), b => b.Wal_Append()),
            (nameof(AppendAllocationBenchmarks.Container_AppendEvent), b => b.SetupContainer(), b => b.Container_AppendEvent()),
            (nameof(AppendAllocationBenchmarks.Writer_WriteEventAsync), b => b.SetupWriter(), b => b.Writer_WriteEventAsync()),
        ];
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"| benchmark | appends | allocated B/append | sampled by type (B/append) |");
        report.AppendLine("|---|--:|--:|---|");
        foreach (var (name, setup, run) in cases)
        {
            var benchmark = new AppendAllocationBenchmarks();
            setup(benchmark);
            try
            {
                for (int i = 0; i < invocations / 8; i++) await run(benchmark); // warm up: JIT tiers, pools, first growth
                using var sampler = new AllocationSampler();
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < invocations; i++) await run(benchmark);
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                double appends = (double)invocations * AppendsPerInvocation;
                var types = new StringBuilder();
                foreach (var (type, bytes) in sampler.ByType.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)))
                {
                    if (bytes / appends < 0.5) continue;
                    if (types.Length > 0) types.Append(", ");
                    types.Append(CultureInfo.InvariantCulture, $"`{type}` {bytes / appends:N0}");
                }
                report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {appends:N0} | {allocated / appends:N1} | {(types.Length == 0 ? "-" : types.ToString())} |");
            }
            finally
            {
                benchmark.Cleanup();
            }
        }
        Console.WriteLine(report.ToString());
        return 0;
    }

    /// <summary>Sums the runtime's allocation samples (GC AllocationTick) by type name while it lives.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
        private const EventKeywords GcKeyword = (EventKeywords)0x1;

        public ConcurrentDictionary<string, long> ByType { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == RuntimeSource) EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)) return;
            if (eventData.PayloadNames is not { } names || eventData.Payload is not { } payload) return;
            int typeIndex = names.IndexOf("TypeName");
            int amountIndex = names.IndexOf("AllocationAmount64");
            if (amountIndex < 0) amountIndex = names.IndexOf("AllocationAmount");
            if (typeIndex < 0 || amountIndex < 0) return;
            string type = payload[typeIndex] as string ?? "?";
            long amount = Convert.ToInt64(payload[amountIndex], CultureInfo.InvariantCulture);
            ByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
        }
    }
}
