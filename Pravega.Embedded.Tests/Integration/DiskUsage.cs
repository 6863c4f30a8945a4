namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// Bytes of the files matching a pattern under a directory, sampled while a store runs (tiering drops files meanwhile).
/// Compiled into the benchmarks too, whose runners sample disk usage the same way.
/// </summary>
internal static class DiskUsage
{
    /// <summary>The bytes of the files matching <paramref name="pattern"/> under <paramref name="directory"/> (recursively); a file removed while this looks counts as gone.</summary>
    public static long Bytes(string directory, string pattern) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, pattern, SearchOption.AllDirectories).Sum(f =>
            {
                var file = new FileInfo(f);
                return file.Exists ? file.Length : 0;
            })
            : 0;
}
