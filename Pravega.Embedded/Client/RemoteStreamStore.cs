using System.Net;

namespace Pravega.Embedded;

/// <summary>Connects to a <see cref="StreamStoreServer"/>: the returned <see cref="IStreamStore"/> behaves exactly as the served one, with the same exceptions and ordering.</summary>
public static class RemoteStreamStore
{
    private const string NotImplemented = "The wire protocol is not implemented yet (issue: wire protocol).";

    /// <summary>Connects to the server at <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">The server's <see cref="StreamStoreServer.EndPoint"/>.</param>
    /// <param name="authToken">The server's token, or null if it requires none.</param>
    /// <param name="ct">Cancels the connection attempt.</param>
    /// <returns>The remote store; dispose it to close the connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="UnauthorizedAccessException">The token is wrong or missing.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The server cannot be reached.</exception>
    public static Task<IStreamStore> ConnectAsync(IPEndPoint endPoint, string? authToken = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return Task.FromException<IStreamStore>(new NotSupportedException(NotImplemented));
    }
}
