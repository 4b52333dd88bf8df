using System.Net;
using System.Net.Sockets;

namespace AmpSessions.Testing;

/// <summary>Ports for tests that need a server nobody answers at.</summary>
public static class TcpPorts
{
    /// <summary>A loopback port that was free a moment ago and that nothing listens on.</summary>
    public static int Closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
