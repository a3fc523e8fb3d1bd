using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TcWorker.LocalQueue.Tests.Support;

/// <summary>A bare TCP connection to a loopback server, for requests no HTTP client would send: partial heads, partial bodies, stalls.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly Socket socket;

    private RawConnection(Socket socket) => this.socket = socket;

    public static async Task<RawConnection> OpenAsync(string rootUrl)
    {
        var uri = new Uri(rootUrl);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
        return new RawConnection(socket);
    }

    /// <summary>The head of a request with the given extra header lines (each ending in CRLF) and the blank line.</summary>
    public static byte[] Head(string method, string target, string rootUrl, string headers = "") =>
        Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {new Uri(rootUrl).Authority}\r\n{headers}\r\n");

    /// <summary>Sends the bytes; false when the server closed the connection first or <paramref name="timeout"/> passed.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> bytes, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (bytes.Length > 0)
            {
                var sent = await socket.SendAsync(bytes, SocketFlags.None, cancel.Token);
                bytes = bytes[sent..];
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The status line of the response, "closed" when the server closed the connection without one, "waiting" when <paramref name="timeout"/> passed.</summary>
    public async Task<string> ReadStatusAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (read == 0)
                {
                    return received.Count == 0 ? "closed" : Encoding.ASCII.GetString([.. received]).Split("\r\n")[0];
                }

                received.AddRange(buffer.AsSpan(0, read));
                var text = Encoding.ASCII.GetString([.. received]);
                if (text.Contains("\r\n", StringComparison.Ordinal))
                {
                    return text.Split("\r\n")[0];
                }
            }
        }
        catch (SocketException)
        {
            return "closed";
        }
        catch (OperationCanceledException)
        {
            return "waiting";
        }
    }

    /// <summary>True when the server closes the connection (after any response) within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[65536];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => socket.Dispose();
}
