using System.Net.Sockets;
using System.Text;

namespace TcWorker.EndToEnd.Tests;

/// <summary>A WebSocket client that breaks the framing: what a buggy or hostile client sends.</summary>
internal static class MalformedFrame
{
    /// <summary>
    /// Opens a WebSocket to <paramref name="socketUrl"/> by hand, sends a frame with a reserved opcode,
    /// and returns the status of the close frame the server answered with before closing the connection,
    /// or -1 when it closed without one.
    /// </summary>
    public static async Task<int> SendAsync(Uri socketUrl)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(socketUrl.Host, socketUrl.Port);
        var stream = client.GetStream();
        var request = $"GET {socketUrl.PathAndQuery} HTTP/1.1\r\nHost: {socketUrl.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var response = new StringBuilder();
        var one = new byte[1];
        while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            response.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", response.ToString(), StringComparison.Ordinal);

        // FIN with opcode 0x3 (reserved), masked, empty.
        await stream.WriteAsync(new byte[] { 0x83, 0x80, 1, 2, 3, 4 });
        using var answer = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // The server may reset the connection right after its close frame.
        }

        // The server's frames (unmasked): perhaps the shell's first output, then its close frame.
        var bytes = answer.ToArray();
        for (var at = 0; at + 2 <= bytes.Length;)
        {
            var opcode = bytes[at] & 0x0f;
            long length = bytes[at + 1] & 0x7f;
            var header = 2;
            if (length == 126)
            {
                length = (bytes[at + 2] << 8) | bytes[at + 3];
                header = 4;
            }
            else if (length == 127)
            {
                length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(at + 2));
                header = 10;
            }

            if (opcode == 0x8)
            {
                return length >= 2 ? (bytes[at + header] << 8) | bytes[at + header + 1] : 0;
            }

            at += header + (int)length;
        }

        return -1;
    }}
