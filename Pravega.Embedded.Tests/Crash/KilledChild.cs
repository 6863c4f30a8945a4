using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// Runs a child mode of this test assembly (<see cref="Program"/>) on a store root until it printed a line starting with
/// a given prefix, waits a random moment, kills it with SIGKILL and returns its lines: each line is one write of less
/// than PIPE_BUF (never torn), and lines still in the pipe were printed before the kill.
/// </summary>
internal static class KilledChild
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static async Task<List<string>> RunAsync(string command, string root, string readyPrefix, int minDelayMs, int maxDelayMs, Random random, string context)
    {
        var info = new ProcessStartInfo(CrashChild.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(typeof(KilledChild).Assembly.Location);
        info.ArgumentList.Add(command);
        info.ArgumentList.Add(root);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the child.");
        var lines = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lines.Enqueue(e.Data);
            if (e.Data.StartsWith(readyPrefix, StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync(); // awaited only once the child is gone: it ends with the child
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(Timeout)) != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            Assert.Fail($"{context}: the child printed no '{readyPrefix}' line; stderr: {await stderr}");
        }
        await Task.Delay(random.Next(minDelayMs, maxDelayMs));
        if (process.HasExited) Assert.Fail($"{context}: the child exited before it was killed; stderr: {await stderr}");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        if (OperatingSystem.IsLinux()) Assert.Equal(CrashChild.SigkillExitCode, process.ExitCode);
        return [.. lines.Where(l => l.Length > 0)];
    }
}
