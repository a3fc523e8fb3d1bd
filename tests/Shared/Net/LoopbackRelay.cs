using System.Net;
using System.Net.Sockets;

namespace TcWorker.Tests.Shared;

/// <summary>
/// A TCP relay on loopback in front of a server (a queue): each connection it accepts is passed through to
/// the server, and every chunk a client sends is first shown to a function that says whether it goes on
/// (a relay that hangs, or one that notes when a request passes).
/// </summary>
internal sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly IPEndPoint upstream;
    private readonly Func<ReadOnlyMemory<byte>, bool> fromClient;
    private readonly Task accepting;

    /// <param name="upstreamRootUrl">The server's root URL, on loopback.</param>
    /// <param name="fromClient">Given each chunk a client sends, true to pass it on; null passes everything.</param>
    public LoopbackRelay(Uri upstreamRootUrl, Func<ReadOnlyMemory<byte>, bool>? fromClient = null)
    {
        upstream = new IPEndPoint(IPAddress.Loopback, upstreamRootUrl.Port);
        this.fromClient = fromClient ?? (_ => true);
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The relay's root URL, to give the client in place of the server's.</summary>
    public string RootUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(upstream, stopping.Token);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), fromClient, both.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), _ => true, both.Token);
                await Task.WhenAny(up, down);
                await both.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // One side went away, or the relay stops.
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, Func<ReadOnlyMemory<byte>, bool> passes, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (passes(buffer.AsMemory(0, read)))
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // One side went away, or the relay stops.
        }
    }
}
