using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

namespace TcWorker.Tests.Shared;

/// <summary>
/// A test client of the interactive shell's WebSocket protocol (version 2, Taskcluster's shell page):
/// binary messages, <c>1</c> + input, <c>2</c> + rows and columns (16-bit little-endian); output comes as
/// plain binary messages, and the server closes the socket when the shell ends. Written from the
/// protocol, apart from the plugin, so that a test of both cannot share a mistake.
/// </summary>
internal sealed class ShellClient : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly StringBuilder output = new();
    private Task? reading;

    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    public string? CloseReason => socket.CloseStatusDescription;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<ShellClient> ConnectAsync(Uri socketUrl, CancellationToken cancellationToken = default)
    {
        var client = new ShellClient();
        await client.socket.ConnectAsync(socketUrl, cancellationToken);
        client.reading = client.ReadAsync();
        return client;
    }

    public Task SendInputAsync(string text) => SendAsync([1, .. Encoding.UTF8.GetBytes(text)]);

    public Task ResizeAsync(int columns, int rows)
    {
        var message = new byte[5];
        message[0] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(1), (ushort)rows);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(3), (ushort)columns);
        return SendAsync(message);
    }

    public Task SendAsync(byte[] message) => socket.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task SendTextFrameAsync(string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits until the output (carriage returns removed) contains <paramref name="text"/>; fails with what came instead.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!Output.Replace("\r", string.Empty, StringComparison.Ordinal).Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until || reading!.IsCompleted)
            {
                Assert.Fail($"the shell did not print '{text}' (socket {socket.State}, {socket.CloseStatus} {socket.CloseStatusDescription}); it printed: {Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the server closed the session.</summary>
    public async Task WaitForCloseAsync(TimeSpan? timeout = null) => await reading!.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        socket.Abort();
        if (reading is not null)
        {
            await reading;
        }

        socket.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[buffer.Length];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }

                    return;
                }

                var count = decoder.GetChars(buffer, 0, received.Count, chars, 0);
                lock (output)
                {
                    output.Append(chars, 0, count);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Aborted by DisposeAsync, or the connection broke: the state and close status tell.
        }
    }
}
