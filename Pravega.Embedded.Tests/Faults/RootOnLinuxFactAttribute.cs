using Xunit;

namespace Pravega.Embedded.Tests.Faults;

/// <summary>A fact that needs Linux and root (it mounts file systems); skipped elsewhere, so `dotnet test` works for anyone.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootOnLinuxFactAttribute : FactAttribute
{
    public RootOnLinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Skip = "needs Linux and root (mounts a tmpfs)";
    }
}
