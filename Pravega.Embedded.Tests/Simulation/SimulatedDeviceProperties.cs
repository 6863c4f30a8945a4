using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// The simulated device against a model (plain arrays per file): random writes (1..1500 bytes anywhere in the first
/// 4 KiB, so they cross sectors and overlap), flushes, allocations and directory syncs over three files, then a power
/// failure or a crash.
/// </summary>
public sealed class SimulatedDeviceProperties
{
    private const string Dir = "/d";
    private const int Files = 3;

    private enum StepKind
    {
        Write,
        Flush,
        SyncDirectory,
        Allocate,
    }

    private sealed record Step(StepKind Kind, int File, int Offset, int Length, int Seed);

    private sealed record Scenario(Step[] Steps, int DeviceSeed, int PowerSeed)
    {
        public override string ToString() => $"device seed {DeviceSeed}, power seed {PowerSeed}, steps [{string.Join(", ", Steps.Select(s => s.ToString()))}]";
    }

    private static readonly Gen<Step> Steps =
        from kind in Gen.Frequency((6, Gen.Constant(StepKind.Write)), (2, Gen.Constant(StepKind.Flush)),
                                   (1, Gen.Constant(StepKind.SyncDirectory)), (1, Gen.Constant(StepKind.Allocate)))
        from file in Gen.Choose(0, Files - 1)
        from offset in Gen.Choose(0, 4096)
        from length in Gen.Choose(1, 1500)
        from seed in Gen.Choose(0, 1_000_000)
        select new Step(kind, file, offset, length, seed);

    private static readonly Gen<Scenario> Scenarios =
        from count in Gen.Choose(1, 60)
        from steps in Steps.ArrayOf(count)
        from deviceSeed in Gen.Choose(0, 1_000_000)
        from powerSeed in Gen.Choose(0, 1_000_000)
        select new Scenario(steps, deviceSeed, powerSeed);

    /// <summary>What a file should hold: its bytes now, and which of them a flush made durable (and not overwritten since).</summary>
    private sealed class FileModel
    {
        public byte[] Current = new byte[8192];
        public int Length;
        public readonly bool[] Guaranteed = new bool[8192];
        public byte[] Flushed = new byte[8192];
        private readonly ulong[] _written = new ulong[8192 * 4]; // a 256-bit set of the values written at each offset
        public bool EntryDurable;

        public void AddWritten(int offset, byte value) => _written[(offset * 4) + (value >> 6)] |= 1UL << (value & 63);

        public bool WasWritten(int offset, byte value) =>
            value == 0 || (offset < 8192 && (_written[(offset * 4) + (value >> 6)] & (1UL << (value & 63))) != 0);
    }

    private static (SimulatedDevice Device, FileModel[] Models) Run(Scenario scenario)
    {
        var device = new SimulatedDevice(new Random(scenario.DeviceSeed));
        device.CreateDirectory(Dir);
        var files = Enumerable.Range(0, Files).Select(i => device.OpenFile($"{Dir}/f{i}", DeviceOpenMode.CreateOrTruncate)).ToArray();
        var models = Enumerable.Range(0, Files).Select(_ => new FileModel()).ToArray();
        foreach (var step in scenario.Steps)
        {
            var (file, model) = (files[step.File], models[step.File]);
            switch (step.Kind)
            {
                case StepKind.Write:
                    var data = new byte[step.Length];
                    new Random(step.Seed).NextBytes(data);
                    file.Write(data, step.Offset);
                    data.CopyTo(model.Current, step.Offset);
                    model.Length = Math.Max(model.Length, step.Offset + step.Length);
                    for (int i = 0; i < data.Length; i++)
                    {
                        model.Guaranteed[step.Offset + i] = false;
                        model.AddWritten(step.Offset + i, data[i]);
                    }
                    break;
                case StepKind.Flush:
                    file.Flush();
                    Array.Fill(model.Guaranteed, true, 0, model.Length);
                    model.Flushed = (byte[])model.Current.Clone();
                    break;
                case StepKind.SyncDirectory:
                    device.SyncDirectory(Dir);
                    foreach (var m in models) m.EntryDurable = true;
                    break;
                case StepKind.Allocate:
                    file.Allocate(step.Offset + step.Length);
                    model.Length = Math.Max(model.Length, step.Offset + step.Length);
                    break;
            }
        }
        return (device, models);
    }

    private static byte[]? ReadBack(SimulatedDevice device, int index)
    {
        string path = $"{Dir}/f{index}";
        if (!device.FileExists(path)) return null;
        using var file = device.OpenFile(path, DeviceOpenMode.OpenExisting);
        var bytes = new byte[file.Length];
        file.Read(bytes, 0);
        return bytes;
    }

    /// <summary>
    /// After a power failure every byte flushed (and not written again since) reads back as written, in every file whose
    /// entry was synced; no byte holds a value that was never written at its offset; the same seeds give the same disk.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property Flushed_bytes_survive_a_power_failure_and_nothing_else_is_invented() =>
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var (device, models) = Run(scenario);
            var report = device.PowerFail(new Random(scenario.PowerSeed));
            string why = $"{scenario}; power failure: {string.Join("; ", report)}";

            for (int f = 0; f < Files; f++)
            {
                var model = models[f];
                byte[]? bytes = ReadBack(device, f);
                if (bytes is null)
                {
                    Assert.False(model.EntryDurable, $"f{f} is gone although its entry was synced: {why}");
                    continue;
                }
                // The messages are built only on failure: they hold the whole scenario.
                for (int i = 0; i < model.Length; i++)
                {
                    if (!model.Guaranteed[i]) continue;
                    if (i >= bytes.Length) Assert.Fail($"f{f} ends at {bytes.Length}, before flushed byte {i}: {why}");
                    if (model.Flushed[i] != bytes[i]) Assert.Fail($"f{f} byte {i} is {bytes[i]}, flushed {model.Flushed[i]}: {why}");
                }
                for (int i = 0; i < bytes.Length; i++)
                {
                    if (!model.WasWritten(i, bytes[i])) Assert.Fail($"f{f} byte {i} is {bytes[i]}, never written there: {why}");
                }
            }

            var (replay, _) = Run(scenario);
            replay.PowerFail(new Random(scenario.PowerSeed));
            for (int f = 0; f < Files; f++) Assert.Equal(ReadBack(device, f), ReadBack(replay, f));
        });

    /// <summary>After a crash (SIGKILL) every file reads back exactly as last written, flushed or not.</summary>
    [Property(MaxTest = 100)]
    public Property A_crash_loses_nothing() =>
        Prop.ForAll(Scenarios.ToArbitrary(), scenario =>
        {
            var (device, models) = Run(scenario);
            device.Crash();
            for (int f = 0; f < Files; f++)
                Assert.Equal(models[f].Current.AsSpan(0, models[f].Length).ToArray(), ReadBack(device, f));
        });
}
