using Xunit;

namespace Pravega.Embedded.Tests.Crash;

/// <summary>The store's directory lock holds against another process, and is released on dispose.</summary>
public sealed class DirectoryLockAcrossProcessesTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnotherProcessCannotOpenAStoreThisProcessHolds()
    {
        string root = CrashRecoveryTests.NewRoot();
        try
        {
            await using (await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root)))
            {
                using var locked = CrashChild.Start(root, 0, 10, 4);
                int exitCode = await locked.WaitForExitAsync(ChildTimeout);
                Assert.True(exitCode == CrashWriter.LockedExitCode && locked.Locked && locked.Acks.Count == 0,
                    $"exit code {exitCode}; {locked.Describe()}");
            }

            using var child = CrashChild.Start(root, 0, 10, 4);
            int code = await child.WaitForExitAsync(ChildTimeout);
            Assert.True(code == 0 && child.Done && child.Acks.Count == 10, $"after dispose: exit code {code}; {child.Describe()}");
        }
        finally
        {
            CrashRecoveryTests.DeleteRoot(root);
        }
    }
}
