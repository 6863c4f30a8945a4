using System.Net;

namespace Pravega.Embedded;

/// <summary>Options of a <see cref="StreamStoreServer"/>.</summary>
public sealed record StreamStoreServerOptions
{
    /// <summary>Where the server listens. Default: loopback, on a port chosen by the system (see <see cref="StreamStoreServer.EndPoint"/>).</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// A token every client must present (<see cref="RemoteStreamStore.ConnectAsync"/>), or null (the default) for none.
    /// A wrong or missing token fails the client with <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public string? AuthToken { get; init; }
}
