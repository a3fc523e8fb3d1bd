using System.Buffers;
using System.IO.Pipelines;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace TcWorker.Engines.Docker;

/// <summary>
/// A process started in a running container with <c>docker exec</c>, its streams attached. Output is
/// copied into pipes as it arrives (with a terminal everything comes as standard output); disposing
/// the input sends end-of-file. Docker has no call to kill an exec: an abort closes the connection
/// and, when the daemon is on this machine, kills the process by its host pid.
/// </summary>
internal sealed class DockerShell : IShell
{
    private const int BufferSize = 16 * 1024;
    private readonly DockerClient client;
    private readonly string execId;
    private readonly MultiplexedStream stream;
    private readonly bool localDaemon;
    private readonly Pipe stdout = new();
    private readonly Pipe stderr = new();
    private readonly Task pump;
    private int aborted;

    private DockerShell(DockerClient client, string execId, MultiplexedStream stream, bool localDaemon)
    {
        this.client = client;
        this.execId = execId;
        this.stream = stream;
        this.localDaemon = localDaemon;
        StandardInput = new InputStream(stream);
        StandardOutput = stdout.Reader.AsStream();
        StandardError = stderr.Reader.AsStream();
        pump = Task.Run(PumpAsync);
    }

    public Stream StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    public static async Task<DockerShell> StartAsync(DockerClient client, string containerId, IReadOnlyList<string> command, bool tty, bool localDaemon, CancellationToken cancellationToken)
    {
        var created = await client.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command.Count > 0 ? [.. command] : ["sh"],
            TTY = tty,
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken).ConfigureAwait(false);
        var stream = await client.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { TTY = tty }, cancellationToken).ConfigureAwait(false);
        return new DockerShell(client, created.ID, stream, localDaemon);
    }

    public Task SetSizeAsync(int columns, int rows, CancellationToken cancellationToken = default) =>
        client.Exec.ResizeExecTtyAsync(execId, new ContainerResizeParameters { Width = columns, Height = rows }, cancellationToken);

    public async Task AbortAsync()
    {
        if (Interlocked.Exchange(ref aborted, 1) != 0)
        {
            return;
        }

        if (localDaemon)
        {
            try
            {
                // Just after the start the daemon may not have started the process yet, or not know its pid.
                var inspected = await client.Exec.InspectContainerExecAsync(execId).ConfigureAwait(false);
                for (var i = 0; i < 200 && inspected.ExitCode is null && !(inspected.Running && inspected.Pid > 0); i++)
                {
                    await Task.Delay(50).ConfigureAwait(false);
                    inspected = await client.Exec.InspectContainerExecAsync(execId).ConfigureAwait(false);
                }

                if (inspected.Running && inspected.Pid > 0)
                {
                    using (var process = System.Diagnostics.Process.GetProcessById((int)inspected.Pid))
                    {
                        process.Kill();
                    }

                    for (var i = 0; i < 200 && inspected.Running; i++)
                    {
                        await Task.Delay(25).ConfigureAwait(false);
                        inspected = await client.Exec.InspectContainerExecAsync(execId).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is DockerApiException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or HttpRequestException or IOException)
            {
                // Already gone.
            }
        }

        stream.Dispose();
        await pump.ConfigureAwait(false);
    }

    public async Task<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        await pump.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref aborted) != 0)
        {
            throw new OperationCanceledException("The shell was aborted.");
        }

        // The stream ends a moment before the daemon records the exit code.
        for (var i = 0; ; i++)
        {
            var inspected = await client.Exec.InspectContainerExecAsync(execId, cancellationToken).ConfigureAwait(false);
            if (!inspected.Running && inspected.ExitCode is { } code)
            {
                return (int)code;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, 5 * (i + 1))), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!pump.IsCompleted)
        {
            await AbortAsync().ConfigureAwait(false);
        }

        stream.Dispose();
    }

    private async Task PumpAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                var target = read.Target == MultiplexedStream.TargetStream.StandardError ? stderr.Writer : stdout.Writer;
                await target.WriteAsync(buffer.AsMemory(0, read.Count)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or HttpRequestException)
        {
            error = Volatile.Read(ref aborted) != 0 ? null : e;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await stdout.Writer.CompleteAsync(error).ConfigureAwait(false);
            await stderr.Writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    /// <summary>The exec's standard input: writes go to the process; disposing sends end-of-file.</summary>
    private sealed class InputStream(MultiplexedStream stream) : Stream
    {
        private int closed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            stream.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref closed, 1) == 0)
            {
                try
                {
                    stream.CloseWrite();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
            }

            base.Dispose(disposing);
        }
    }
}
