using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Pravega.Embedded.Benchmarks;

/// <summary>
/// The configuration of every micro benchmark: a short job (3 warm-up and 3 measured iterations, so each benchmark
/// takes well under a minute) run in process, with <see cref="MemoryDiagnoser"/> so allocated bytes per operation show.
/// </summary>
/// <remarks>
/// In process, because the benchmarks reach internals of the library and the machines have 2 cores: a generated and
/// rebuilt project per benchmark class would cost more than the measurements. Artifacts go beside the binaries.
/// </remarks>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddLogger(ConsoleLogger.Default);
        AddExporter(MarkdownExporter.GitHub);
        WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
    }
}
