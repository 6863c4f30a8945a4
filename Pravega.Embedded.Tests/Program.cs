using System.Globalization;
using Pravega.Embedded.Tests.Crash;

namespace Pravega.Embedded.Tests;

/// <summary>
/// Entry point of the test assembly when it runs as a child process of a test (<c>dotnet Pravega.Embedded.Tests.dll
/// mode ...</c>); <c>dotnet test</c> runs the tests through testhost and never calls it.
/// </summary>
public static class Program
{
    /// <summary>Exit code for arguments no mode understands.</summary>
    public const int UsageExitCode = 2;

    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length is 6 or 7 && args[0] == CrashWriter.Command && (args.Length == 6 || args[6] is CrashWriter.TruncateArgument or CrashWriter.ScaleArgument)
            && long.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            && long.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out long count)
            && int.TryParse(args[4], NumberStyles.None, CultureInfo.InvariantCulture, out int keys) && keys > 0
            && int.TryParse(args[5], NumberStyles.None, CultureInfo.InvariantCulture, out int walFileSize))
        {
            return await CrashWriter.RunAsync(args[1], start, count, keys, walFileSize,
                                              truncate: args.Length == 7 && args[6] == CrashWriter.TruncateArgument,
                                              scale: args.Length == 7 && args[6] == CrashWriter.ScaleArgument);
        }
        if (args.Length == 2 && args[0] == CrashReader.Command) return await CrashReader.RunAsync(args[1]);
        if (args.Length == 2 && args[0] == CrashTransactionWriter.Command) return await CrashTransactionWriter.RunAsync(args[1]);
        if (args.Length == 2 && args[0] == CrashByteWriter.Command) return await CrashByteWriter.RunAsync(args[1]);
        if (args.Length == 2 && args[0] == CrashTableWriter.Command) return await CrashTableWriter.RunAsync(args[1]);
        await Console.Error.WriteLineAsync($"usage: {CrashWriter.Command} <root> <startNumber> <count> <keys> <walFileSize> [{CrashWriter.TruncateArgument}|{CrashWriter.ScaleArgument}] | {CrashReader.Command} <root> | {CrashTransactionWriter.Command} <root> | {CrashByteWriter.Command} <root> | {CrashTableWriter.Command} <root>");
        return UsageExitCode;
    }
}
