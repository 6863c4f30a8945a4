using System.Buffers;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// A read-only view of a device file's bytes as <see cref="Memory{T}"/>, so readers deserialize without copying.
/// The memory is valid until the mapping is disposed.
/// </summary>
internal abstract class DeviceMapping : MemoryManager<byte>
{
    /// <summary>The mapped bytes.</summary>
    public abstract ReadOnlySpan<byte> Span { get; }

    /// <summary>A hint that <c>[position, position + length)</c> is about to be read, and what follows it soon after.</summary>
    public virtual void PrefetchAhead(int position, int length)
    {
    }
}
