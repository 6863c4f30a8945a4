using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>
/// The parent's handle on a <see cref="CrashWriter"/> child process: starts it with the same <c>dotnet</c> host,
/// parses its stdout as it arrives (only newline-terminated lines count: a line cut off by the kill was never
/// printed), collects stderr for failure messages, and kills it.
/// </summary>
internal sealed class CrashChild : IDisposable
{
    /// <summary>Exit code of a process killed by SIGKILL, as .NET reports it on Unix (128 + 9).</summary>
    public const int SigkillExitCode = 128 + 9;

    private readonly Process _process;
    private readonly Task _stdoutPump;
    private readonly object _gate = new();
    private readonly List<(long Number, WriteResult Result)> _acks = [];
    private readonly List<string> _unexpected = [];
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _firstAck = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long? _last;
    private bool _done;
    private long _cut = -1;
    private long _truncating = -1;
    private int _scaledEpoch = -1;
    private bool _locked;
    private string _tornTail = "";

    private CrashChild(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_gate) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        _stdoutPump = Task.Run(() => PumpAsync(_process.StandardOutput.BaseStream));
    }

    /// <summary>The host that runs this test process (<c>dotnet</c> under <c>dotnet test</c>), else <c>dotnet</c> on the PATH.</summary>
    public static string DotnetHost =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    public static CrashChild Start(string root, long startNumber, long count, int keys, int walFileSize = Embedded.Tier1.WalOptions.DefaultFileSize,
                                   bool truncate = false, bool scale = false)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        info.ArgumentList.Add(typeof(CrashWriter).Assembly.Location);
        info.ArgumentList.Add(CrashWriter.Command);
        info.ArgumentList.Add(root);
        info.ArgumentList.Add(startNumber.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(keys.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(walFileSize.ToString(CultureInfo.InvariantCulture));
        if (truncate) info.ArgumentList.Add(CrashWriter.TruncateArgument);
        else if (scale) info.ArgumentList.Add(CrashWriter.ScaleArgument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        return new CrashChild(process);
    }

    public int ProcessId => _process.Id;

    /// <summary>Completes at the first <c>ACK</c> line; fails if the child's stdout ends before one.</summary>
    public Task FirstAck => _firstAck.Task;

    public long? Last { get { lock (_gate) return _last; } }

    public bool Done { get { lock (_gate) return _done; } }

    /// <summary>The last <c>CUT n</c>: every event numbered below n was truncated, durably; -1 if none.</summary>
    public long Cut { get { lock (_gate) return _cut; } }

    /// <summary>The last <c>TRUNCATING n</c>: a truncation below n was asked for (it may have happened); -1 if none.</summary>
    public long Truncating { get { lock (_gate) return _truncating; } }

    /// <summary>The epoch of the last <c>SCALED e</c>: a scale made durable that created epoch e; -1 if none.</summary>
    public int ScaledEpoch { get { lock (_gate) return _scaledEpoch; } }

    public bool Locked { get { lock (_gate) return _locked; } }

    public IReadOnlyList<(long Number, WriteResult Result)> Acks { get { lock (_gate) return [.. _acks]; } }

    public IReadOnlyList<string> UnexpectedLines { get { lock (_gate) return [.. _unexpected]; } }

    /// <summary>An unterminated last line (cut off by the kill); ignored.</summary>
    public string TornTail { get { lock (_gate) return _tornTail; } }

    public string Stderr { get { lock (_gate) return _stderr.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>Kills the child (SIGKILL on Unix) and returns its exit code once it and its stdout have ended.</summary>
    public async Task<int> KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _stdoutPump;
        return _process.ExitCode;
    }

    /// <summary>Waits for the child to exit by itself; kills it and throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"The child did not exit within {timeout}. stderr:\n{Stderr}");
        }
        await _stdoutPump;
        return _process.ExitCode;
    }

    /// <summary>What the child printed, for assertion messages.</summary>
    public string Describe() =>
        $"child pid {ProcessId}: LAST {Last}, {Acks.Count} ACKs, done {Done}, locked {Locked}, " +
        $"unexpected lines [{string.Join(" | ", UnexpectedLines)}], torn tail '{TornTail}', stderr:\n{Stderr}";

    private async Task PumpAsync(Stream stdout)
    {
        var buffer = new byte[16 << 10];
        var line = new StringBuilder();
        try
        {
            int read;
            while ((read = await stdout.ReadAsync(buffer)) > 0)
            {
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        line.Append((char)buffer[i]);
                        continue;
                    }
                    OnLine(line.ToString());
                    line.Clear();
                }
            }
            lock (_gate) _tornTail = line.ToString();
        }
        finally
        {
            _firstAck.TrySetException(new InvalidOperationException("The child's stdout ended before its first ACK."));
        }
    }

    private void OnLine(string line)
    {
        string[] parts = line.Split(' ');
        lock (_gate)
        {
            if (parts is ["ACK", var n, var r] && long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out long number)
                && Enum.TryParse(r, out WriteResult result))
            {
                _acks.Add((number, result));
                _firstAck.TrySetResult();
            }
            else if (parts is ["LAST", var l] && long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long last))
            {
                _last = last;
            }
            else if (parts is ["CUT", var c] && long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out long cut))
            {
                _cut = cut;
            }
            else if (parts is ["TRUNCATING", var t] && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long truncating))
            {
                _truncating = truncating;
            }
            else if (parts is ["SCALED", var e] && int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
            {
                _scaledEpoch = Math.Max(_scaledEpoch, epoch);
            }
            else if (line == "DONE") _done = true;
            else if (line == "LOCKED") _locked = true;
            else _unexpected.Add(line);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        _process.Dispose();
    }
}
