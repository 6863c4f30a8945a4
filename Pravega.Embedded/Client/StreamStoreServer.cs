using System.Net;

namespace Pravega.Embedded;

/// <summary>
/// Serves an <see cref="IStreamStore"/> to other processes over the wire protocol (TCP); clients connect with
/// <see cref="RemoteStreamStore.ConnectAsync"/> and see the same behaviour and exceptions as in process. Disposing
/// stops listening and closes every connection; it does not dispose the served store.
/// </summary>
public sealed class StreamStoreServer : IAsyncDisposable
{
    private const string NotImplemented = "The wire protocol is not implemented yet (issue: wire protocol).";

    private StreamStoreServer(IPEndPoint endPoint) => EndPoint = endPoint;

    /// <summary>Where the server listens; the actual port when the options asked for port 0.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts serving <paramref name="store"/>.</summary>
    /// <param name="store">The store served.</param>
    /// <param name="options">Where to listen and which token to require.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The server, once it listens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The end point cannot be bound.</exception>
    public static Task<StreamStoreServer> StartAsync(IStreamStore store, StreamStoreServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.EndPoint, nameof(options));
        return Task.FromException<StreamStoreServer>(new NotSupportedException(NotImplemented));
    }

    /// <summary>Stops listening and closes every connection; idempotent.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
