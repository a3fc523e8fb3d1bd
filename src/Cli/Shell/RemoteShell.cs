using System.Buffers.Binary;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.InteropServices;

namespace TcWorker.Cli.Shell;

/// <summary>
/// A client of the interactive shell's WebSocket protocol (version 2, Taskcluster's shell page): bytes
/// read from <c>input</c> go out as <c>1</c> + bytes, sizes as <c>2</c> + rows and columns (16-bit
/// little-endian), and what the shell prints is written to <c>output</c> until the server closes.
/// </summary>
internal sealed class RemoteShell(WebSocket socket, Stream input, Stream output)
{
    private const byte Stdin = 1;
    private const byte Resize = 2;
    private readonly SemaphoreSlim sendLock = new(1, 1);

    /// <summary>Connects to <paramref name="socketUrl"/> and runs the shell on this process's terminal (raw mode when it is one).</summary>
    /// <returns>The remote shell's exit code, or 1 when it did not say.</returns>
    public static async Task<int> RunInTerminalAsync(Uri socketUrl, TextWriter error, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(socketUrl, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new CliException(ExitCodes.Unavailable, $"the shell did not open ({e.Message}); it is open only while the task runs");
        }

        using var terminal = RawTerminal.Enter();
        var shell = new RemoteShell(socket, Console.OpenStandardInput(), Console.OpenStandardOutput());
        using var resized = terminal.IsTerminal && !OperatingSystem.IsWindows() ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => shell.SendSize(Console.WindowWidth, Console.WindowHeight)) : null;
        var (columns, rows) = terminal.IsTerminal ? (Console.WindowWidth, Console.WindowHeight) : (80, 24);
        var exitCode = await shell.RunAsync(columns, rows, cancellationToken).ConfigureAwait(false);
        terminal.Dispose();
        if (exitCode is null)
        {
            await error.WriteLineAsync($"\r\ntc-worker: the shell closed: {socket.CloseStatusDescription ?? "the connection was lost"}").ConfigureAwait(false);
        }

        return exitCode ?? 1;
    }

    /// <summary>Runs until the server closes; returns the exit code it reported (<c>exit N</c>), or null.</summary>
    public async Task<int?> RunAsync(int columns, int rows, CancellationToken cancellationToken)
    {
        await SendAsync(SizeMessage(columns, rows), cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Reads of a console block: on a thread of their own.
        var sending = Task.Run(() => PumpInputAsync(stop.Token), CancellationToken.None);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                await output.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            if (socket.State == WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (WebSocketException)
        {
            return null;
        }
        finally
        {
            // The input pump may sit in a blocking read of the terminal: it is left to end with the process.
            await stop.CancelAsync().ConfigureAwait(false);
        }

        _ = sending;
        return socket.CloseStatusDescription is { } reason && reason.StartsWith("exit ", StringComparison.Ordinal)
            && int.TryParse(reason.AsSpan(5), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    /// <summary>Sends a new size; safe from a signal handler (fire and forget, sends are serialised).</summary>
    public void SendSize(int columns, int rows) => _ = SendAsync(SizeMessage(columns, rows), CancellationToken.None);

    private static byte[] SizeMessage(int columns, int rows)
    {
        var message = new byte[5];
        message[0] = Resize;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(1), (ushort)Math.Clamp(rows, 1, ushort.MaxValue));
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(3), (ushort)Math.Clamp(columns, 1, ushort.MaxValue));
        return message;
    }

    private async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (WebSocketException)
        {
            // The receive side sees the same break and ends the session.
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task PumpInputAsync(CancellationToken stop)
    {
        var buffer = new byte[4096];
        buffer[0] = Stdin;
        try
        {
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(1), stop).ConfigureAwait(false)) > 0)
            {
                await SendAsync(buffer.AsMemory(0, read + 1), stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
