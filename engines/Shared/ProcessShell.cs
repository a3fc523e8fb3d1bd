using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;

namespace TcWorker.Engines.Shared;

/// <summary>
/// A shell opened in a running process sandbox: a process of the task (its user, its directory, its
/// environment, so the end of the task reaps it with the rest). With a terminal it runs in a session of
/// its own on a fresh pseudo-terminal and everything it prints comes as standard output; without one its
/// streams are pipes.
/// </summary>
internal sealed class ProcessShell : IShell
{
    private const int BufferSize = 16 * 1024;
    private readonly Process process;
    private readonly Pty? pty;
    private readonly Pipe? output;
    private readonly Task? pump;
    private int aborted;
    private int disposed;

    private ProcessShell(Process process, Pty? pty)
    {
        this.process = process;
        this.pty = pty;
        if (pty is null)
        {
            StandardInput = process.StandardInput.BaseStream;
            StandardOutput = process.StandardOutput.BaseStream;
            StandardError = process.StandardError.BaseStream;
            return;
        }

        // Our ends of the wrapper's pipes: it replaced them with the terminal before starting the shell.
        process.StandardInput.Dispose();
        process.StandardOutput.Dispose();
        process.StandardError.Dispose();
        output = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        StandardInput = new TerminalInput(new FileStream(pty.Master, FileAccess.Write, 0, false));
        StandardOutput = output.Reader.AsStream();
        StandardError = Stream.Null;
        // A blocking read on a thread of its own: reads on a terminal cannot be made asynchronous.
        pump = Task.Factory.StartNew(PumpTerminal, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public Stream StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    /// <summary>
    /// Starts <paramref name="command"/> (or the task's default shell) as a process of the task: in its control group
    /// when it has one, so that nothing the shell starts outlives the task either.
    /// </summary>
    /// <exception cref="InvalidOperationException">The command is not found, or the process cannot start.</exception>
    public static ProcessShell Start(IReadOnlyList<string> command, bool tty, TaskWorkspace workspace, IReadOnlyDictionary<string, string> environment, TaskProcessGroup? group = null)
    {
        var path = environment.GetValueOrDefault("PATH");
        var argv = command.Count > 0 ? command : [DefaultShell(workspace.Directory, path)];
        var executable = ProcessLauncher.Resolve(argv[0], workspace.Directory, path)
            ?? throw new InvalidOperationException($"Command not found: '{argv[0]}' is not an executable file in the task directory or on the task's PATH.");
        if (!tty)
        {
            return new ProcessShell(StartProcess(executable, argv, workspace, environment, group), null);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Terminals are allocated on Linux only.");
        }

        var shellEnvironment = new Dictionary<string, string>(environment) { ["TERM"] = environment.GetValueOrDefault("TERM") ?? "xterm-256color" };
        var pty = Pty.Open(workspace.User?.Uid, workspace.User?.Gid);
        try
        {
            // setsid makes the shell a session leader and the terminal (its standard input) its
            // controlling terminal, so job control and Ctrl-C work; the wrapper attaches the terminal first.
            var setsid = ProcessLauncher.Resolve("setsid", "/", Environment.GetEnvironmentVariable("PATH"))
                ?? throw new InvalidOperationException("A terminal needs setsid (util-linux) on the worker's PATH.");
            var wrapper = new List<string> { "/bin/sh", "-c", "t=$1; shift; exec \"$0\" -w -c \"$@\" <>\"$t\" >&0 2>&0", setsid, pty.SlavePath, executable };
            wrapper.AddRange(argv.Skip(1));
            return new ProcessShell(StartProcess("/bin/sh", wrapper, workspace, shellEnvironment, group), pty);
        }
        catch
        {
            pty.Dispose();
            throw;
        }
    }

    public Task SetSizeAsync(int columns, int rows, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        pty?.SetSize(columns, rows);
        return Task.CompletedTask;
    }

    public async Task AbortAsync()
    {
        Interlocked.Exchange(ref aborted, 1);
        if (Volatile.Read(ref disposed) != 0)
        {
            // Its caller let it go; it was aborted then if it still ran.
            return;
        }

        try
        {
            // The whole session: the shell and what it started in the foreground and background.
            if (pty is not null)
            {
                Posix.Kill(-process.Id, Posix.SigKill);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // It had exited, or its caller disposed it meanwhile.
        }
    }

    public async Task<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref aborted) != 0)
        {
            throw new OperationCanceledException("The shell was aborted.");
        }

        if (pump is not null)
        {
            // Everything the shell printed is in the pipe before its exit is reported.
            await pump.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            return;
        }

        if (!process.HasExited)
        {
            await AbortAsync().ConfigureAwait(false);
        }

        pty?.Dispose();
        if (pump is not null)
        {
            await pump.ConfigureAwait(false);
        }

        Volatile.Write(ref disposed, 1);
        process.Dispose();
    }

    private static Process StartProcess(string executable, IReadOnlyList<string> argv, TaskWorkspace workspace, IReadOnlyDictionary<string, string> environment, TaskProcessGroup? group)
    {
        try
        {
            return ProcessLauncher.Start(executable, argv, workspace.Directory, environment, workspace.User, group);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{argv[0]}': {e.Message}", e);
        }
    }

    private static string DefaultShell(string directory, string? path) =>
        ProcessLauncher.Resolve("bash", directory, path) is not null ? "bash" : "sh";

    private void PumpTerminal()
    {
        var buffer = new byte[BufferSize];
        using var master = new FileStream(pty!.Master, FileAccess.Read, 0, false);
        try
        {
            int read;
            while ((read = master.Read(buffer, 0, buffer.Length)) > 0)
            {
                var flushed = output!.Writer.WriteAsync(buffer.AsMemory(0, read)).AsTask().GetAwaiter().GetResult();
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // EIO: every process of the session closed the terminal; or the master was closed.
        }
        finally
        {
            output!.Writer.Complete();
        }
    }

    /// <summary>Writes to the terminal; disposing it sends end-of-file (Ctrl-D) instead of closing the master.</summary>
    private sealed class TerminalInput(FileStream master) : Stream
    {
        private int closed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => master.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => master.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            master.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref closed, 1) == 0)
            {
                try
                {
                    master.Write([4]);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
            }

            base.Dispose(disposing);
        }
    }
}
