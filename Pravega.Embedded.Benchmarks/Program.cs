// Micro benchmarks (BenchmarkDotNet):  dotnet run -c Release --project Pravega.Embedded.Benchmarks -- --filter '*'
// Macro load, store vs raw baseline:   dotnet run -c Release --project Pravega.Embedded.Benchmarks -- load [--events N] [--dir D]
// Allocations per append, by type:     dotnet run -c Release --project Pravega.Embedded.Benchmarks -- allocs
// Reads: tail latency, catch-up:       dotnet run -c Release --project Pravega.Embedded.Benchmarks -- read [--dir D] [--gib N]
// Open time against history:        dotnet run -c Release --project Pravega.Embedded.Benchmarks -- open [--gib 0.25,1,2] [--keep-mib 64]
// Tier-2: writes on/off, catch-up:    dotnet run -c Release --project Pravega.Embedded.Benchmarks -- tier2 [--gib 2] [--tier1-mib 256] [--rounds 2]
// Memory against data volume:        dotnet run -c Release --project Pravega.Embedded.Benchmarks -- memory [--events 50000000]
// Writes across scales under load:   dotnet run -c Release --project Pravega.Embedded.Benchmarks -- scale [--seconds 30]
// Transactions vs plain writes:      dotnet run -c Release --project Pravega.Embedded.Benchmarks -- txn [--events 1000] [--rounds 40] [--staged]
// Key-value tables, 1 M keys:       dotnet run -c Release --project Pravega.Embedded.Benchmarks -- kvt [--keys 1000000] [--batch 1000]
// Byte streams vs raw 3 mirrors:     dotnet run -c Release --project Pravega.Embedded.Benchmarks -- bytes [--mib 1024] [--flush-mib 16]
// See docs/BENCHMARKS.md for the workloads, the options and the results.
using BenchmarkDotNet.Running;
using Pravega.Embedded.Benchmarks;
using Pravega.Embedded.Benchmarks.Load;
using Pravega.Embedded.Benchmarks.Read;

if (args.Length > 0 && args[0] == "load") return await LoadRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "read") return await ReadRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "memory") return await MemoryRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "tier2") return await Tier2Runner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "open") return await OpenTimeRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "scale") return await ScaleRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "txn") return await TransactionRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "kvt") return await KeyValueTableRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "bytes") return await ByteStreamRunner.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "allocs") return await AllocationBreakdown.RunAsync(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new BenchmarkConfig());
return 0;
