using System.Buffers;
using System.Net.WebSockets;
using TcWorker.Engines;

namespace TcWorker.Plugins.Interactive;

/// <summary>
/// One WebSocket, one shell: input and resizes from the client go to the shell, what it prints goes to
/// the client, and its exit closes the socket (normal closure, the reason <c>exit N</c>). A message the
/// protocol does not know, or a broken frame, closes this session only.
/// </summary>
internal sealed class ShellSession(WebSocket socket, ISandbox sandbox, CancellationToken taskEnded, TimeProvider time)
{
    private const int BufferSize = 16 * 1024;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TaskEndGrace = TimeSpan.FromSeconds(1);

    /// <summary>Runs the session to its end; returns how it ended, for the task log.</summary>
    /// <param name="aborted">Fires when the client's connection is gone.</param>
    public async Task<string> RunAsync(CancellationToken aborted)
    {
        IShell shell;
        try
        {
            shell = await sandbox.OpenShellAsync([], tty: true, aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The task ended meanwhile, the engine refused, or its daemon failed: this session only.
            await SendTextAsync($"The shell could not be opened: {e.Message}\r\n", aborted).ConfigureAwait(false);
            await CloseAsync(WebSocketCloseStatus.InternalServerError, "the shell could not be opened").ConfigureAwait(false);
            return "the shell could not be opened";
        }

        await using (shell.ConfigureAwait(false))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, taskEnded);
            // Socket calls take only the connection's token: cancelling one would abort the socket before its close frame.
            var output = PumpOutputAsync(shell, stop.Token, aborted);
            var input = PumpInputAsync(shell, aborted);
            var first = await Task.WhenAny(output, input).ConfigureAwait(false);
            if (first == input)
            {
                var (status, reason) = await input.ConfigureAwait(false);
                await shell.AbortAsync().ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                await ObserveAsync(output).ConfigureAwait(false);
                await CloseAsync(status, reason).ConfigureAwait(false);
                return reason;
            }

            // The shell's output ended: it exited, or the task ended and took it along.
            await ObserveAsync(output).ConfigureAwait(false);
            string ending;
            WebSocketCloseStatus closeStatus;
            try
            {
                var exitCode = await shell.WaitAsync(stop.Token).ConfigureAwait(false);
                (closeStatus, ending) = (WebSocketCloseStatus.NormalClosure, $"exit {exitCode}");
            }
            catch (OperationCanceledException)
            {
                (closeStatus, ending) = (WebSocketCloseStatus.EndpointUnavailable, "the task ended");
            }

            if (closeStatus == WebSocketCloseStatus.NormalClosure && ending != "exit 0" && await TaskEndedAsync().ConfigureAwait(false))
            {
                // Killed along with the task (docker's exit 137, a signal): say why.
                (closeStatus, ending) = (WebSocketCloseStatus.EndpointUnavailable, "the task ended");
            }

            await CloseAsync(closeStatus, ending).ConfigureAwait(false);
            try
            {
                // The client's answering close frame ends the input.
                await input.WaitAsync(CloseHandshakeTimeout, time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                socket.Abort();
            }

            await ObserveAsync(input).ConfigureAwait(false);
            return ending;
        }
    }

    /// <summary>Whether the task has ended, or does within a moment: a shell that died with it ends a little earlier.</summary>
    private async Task<bool> TaskEndedAsync()
    {
        if (taskEnded.IsCancellationRequested)
        {
            return true;
        }

        using var wait = new CancellationTokenSource(TaskEndGrace, time);
        try
        {
            await sandbox.WaitForResultAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            return taskEnded.IsCancellationRequested;
        }
        catch (Exception)
        {
            // Aborted, or failed: it has ended all the same.
            return true;
        }
    }

    private async Task PumpOutputAsync(IShell shell, CancellationToken stop, CancellationToken aborted)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await shell.StandardOutput.ReadAsync(buffer.AsMemory(0, BufferSize), stop).ConfigureAwait(false)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, endOfMessage: true, aborted).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the client's messages until it closes or breaks the protocol; returns the close status and reason to answer with.</summary>
    private async Task<(WebSocketCloseStatus Status, string Reason)> PumpInputAsync(IShell shell, CancellationToken stop)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            // A message may come in fragments: its kind is its first byte, a resize is read whole.
            byte? kind = null;
            var resize = new byte[ShellProtocol.ResizeLength];
            var resizeLength = 0;
            while (true)
            {
                WebSocketReceiveResult received;
                try
                {
                    received = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, 0, BufferSize), stop).ConfigureAwait(false);
                }
                catch (WebSocketException)
                {
                    return (WebSocketCloseStatus.ProtocolError, "a malformed frame");
                }

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return (WebSocketCloseStatus.NormalClosure, "closed by the client");
                }

                if (received.MessageType == WebSocketMessageType.Text)
                {
                    return (WebSocketCloseStatus.InvalidMessageType, "text messages are not part of the protocol");
                }

                var data = buffer.AsMemory(0, received.Count);
                if (kind is null && !data.IsEmpty)
                {
                    kind = data.Span[0];
                    data = data[1..];
                }

                switch (kind)
                {
                    case ShellProtocol.Stdin:
                        if (!data.IsEmpty)
                        {
                            await shell.StandardInput.WriteAsync(data, stop).ConfigureAwait(false);
                            await shell.StandardInput.FlushAsync(stop).ConfigureAwait(false);
                        }

                        break;
                    case ShellProtocol.Resize:
                        if (resizeLength + 1 + data.Length > ShellProtocol.ResizeLength)
                        {
                            return (WebSocketCloseStatus.InvalidPayloadData, "a resize message longer than 5 bytes");
                        }

                        resize[0] = ShellProtocol.Resize;
                        data.CopyTo(resize.AsMemory(1 + resizeLength));
                        resizeLength += data.Length;
                        break;
                    case null:
                        return (WebSocketCloseStatus.InvalidPayloadData, "an empty message");
                    default:
                        return (WebSocketCloseStatus.InvalidPayloadData, $"an unknown message type {kind}");
                }

                if (!received.EndOfMessage)
                {
                    continue;
                }

                if (kind == ShellProtocol.Resize)
                {
                    if (resizeLength + 1 != ShellProtocol.ResizeLength)
                    {
                        return (WebSocketCloseStatus.InvalidPayloadData, "a resize message shorter than 5 bytes");
                    }

                    var (columns, rows) = ShellProtocol.ReadResize(resize);
                    await shell.SetSizeAsync(columns, rows, stop).ConfigureAwait(false);
                }

                kind = null;
                resizeLength = 0;
            }
        }
        catch (IOException)
        {
            return (WebSocketCloseStatus.NormalClosure, "the shell's input closed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendTextAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(CloseHandshakeTimeout, time);
        try
        {
            await socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            socket.Abort();
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The other side of the session ended it.
        }
    }
}
