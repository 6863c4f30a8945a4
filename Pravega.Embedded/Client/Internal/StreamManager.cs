using System.Runtime.CompilerServices;
using Pravega.Embedded.Controller;

namespace Pravega.Embedded.Client.Internal;

/// <summary>The public stream manager: validates arguments as API.md states, then asks the controller.</summary>
internal sealed class StreamManager(StoreRuntime runtime) : IStreamManager
{
    public Task<bool> CreateScopeAsync(string scope, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        runtime.ThrowIfDisposed();
        return runtime.Controller.CreateScopeAsync(scope, ct);
    }

    public Task<bool> DeleteScopeAsync(string scope, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        runtime.ThrowIfDisposed();
        return runtime.Controller.DeleteScopeAsync(scope, ct);
    }

    public async IAsyncEnumerable<string> ListScopesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        runtime.ThrowIfDisposed();
        foreach (string scope in await runtime.Controller.ListScopesAsync(ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            yield return scope;
        }
    }

    public Task<bool> CreateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ValidateConfig(config);
        runtime.ThrowIfDisposed();
        return runtime.Controller.CreateStreamAsync(scope, stream, config, ct);
    }

    public Task UpdateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ValidateConfig(config);
        runtime.ThrowIfDisposed();
        return runtime.Controller.UpdateStreamAsync(scope, stream, config, ct);
    }

    public Task SealStreamAsync(string scope, string stream, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        runtime.ThrowIfDisposed();
        return runtime.Controller.SealStreamAsync(scope, stream, ct);
    }

    public Task<bool> DeleteStreamAsync(string scope, string stream, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        runtime.ThrowIfDisposed();
        return runtime.Controller.DeleteStreamAsync(scope, stream, ct);
    }

    public async IAsyncEnumerable<string> ListStreamsAsync(string scope, [EnumeratorCancellation] CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        runtime.ThrowIfDisposed();
        foreach (string stream in await runtime.Controller.ListStreamsAsync(scope, ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            yield return stream;
        }
    }

    public Task<StreamInfo> GetStreamInfoAsync(string scope, string stream, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        return runtime.RunSync(() =>
        {
            var s = runtime.Controller.GetStream(scope, stream);
            Dictionary<long, long> head;
            var tail = new Dictionary<long, long>();
            lock (runtime.Container.Lock)
            {
                head = StreamController.Head(s);
                foreach (var segment in s.ActiveSegments) tail[segment.SegmentId] = segment.Data.DurableLength;
            }
            return new StreamInfo(scope, stream, new StreamCut(scope, stream, head), new StreamCut(scope, stream, tail), s.IsSealed);
        });
    }

    public Task TruncateStreamAsync(string scope, string stream, StreamCut cut, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(cut);
        runtime.ThrowIfDisposed();
        return runtime.Controller.TruncateStreamAsync(scope, stream, cut, ct);
    }

    public Task<IReadOnlyList<SegmentRange>> GetActiveSegmentsAsync(string scope, string stream, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        return runtime.RunSync<IReadOnlyList<SegmentRange>>(() =>
        {
            var s = runtime.Controller.GetStream(scope, stream);
            var ranges = new List<SegmentRange>();
            foreach (var segment in s.ActiveSegments)
            {
                long end = segment.Data.DurableLength;
                ranges.Add(new SegmentRange(scope, stream, segment.SegmentId, segment.Range, Math.Min(segment.Data.StartOffset, end), end));
            }
            return ranges;
        });
    }

    public Task ScaleStreamAsync(string scope, string stream, IReadOnlyList<long> segmentsToSeal, IReadOnlyList<KeyRange> newRanges, CancellationToken ct = default)
    {
        NameValidator.ValidateName(scope, nameof(scope));
        NameValidator.ValidateName(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(segmentsToSeal);
        ArgumentNullException.ThrowIfNull(newRanges);
        runtime.ThrowIfDisposed();
        return runtime.Controller.ScaleStreamAsync(scope, stream, segmentsToSeal, newRanges, ct);
    }

    private static void ValidateConfig(StreamConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(config.ScalingPolicy, nameof(config));
    }
}
