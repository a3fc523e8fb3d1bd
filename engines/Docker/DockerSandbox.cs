using System.Buffers;
using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Docker;

/// <summary>
/// A task's running container. Its terminal is copied into the task log as raw bytes until the
/// container ends; then the exit code (and an out-of-memory kill) makes the result. Kill stops the
/// container as <c>docker stop</c> does and keeps it for its files; abort and disposal stop and remove
/// it. Whichever of end, kill and abort comes first decides, and later calls see that outcome.
/// </summary>
internal sealed class DockerSandbox : ISandbox
{
    private const int BufferSize = 64 * 1024;
    private readonly DockerEngine engine;
    private readonly ITaskLog log;
    private readonly string containerId;
    private readonly string workingDirectory;
    private readonly MultiplexedStream terminal;
    private readonly SandboxLifecycle<DockerResultSet> lifecycle = new();
    private readonly List<DockerShell> shells = [];
    private readonly IReadOnlyList<DockerVolume> volumes;
    private readonly ContainerProxies? proxies;
    private volatile bool ended;
    private volatile bool disposing;
    private int removed;

    public DockerSandbox(DockerEngine engine, ITaskLog log, string containerId, string workingDirectory, MultiplexedStream terminal, IReadOnlyList<DockerVolume> volumes, ContainerProxies? proxies = null)
    {
        this.proxies = proxies;
        this.volumes = volumes;
        this.engine = engine;
        this.log = log;
        this.containerId = containerId;
        this.workingDirectory = workingDirectory;
        this.terminal = terminal;
    }

    public string ContainerId => containerId;

    /// <summary>Starts the container and follows it in the background.</summary>
    public void Start() => lifecycle.Start(RunAsync);

    public async Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => await lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);

    public async Task AbortAsync()
    {
        await lifecycle.AbortAsync().ConfigureAwait(false);
        await RemoveAsync().ConfigureAwait(false);
    }

    public Task KillAsync(TimeSpan gracePeriod) => lifecycle.KillAsync(gracePeriod);

    public async Task<IShell> OpenShellAsync(IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (ended)
        {
            throw new InvalidOperationException("The task has ended; a shell opens only while it runs.");
        }

        var shell = await DockerShell.StartAsync(engine.Client, containerId, command, tty, engine.Settings.Endpoint.Scheme == "unix", cancellationToken).ConfigureAwait(false);
        lock (shells)
        {
            shells.Add(shell);
        }

        return shell;
    }

    public async ValueTask DisposeAsync()
    {
        disposing = true;
        var ownsContainer = await lifecycle.StopForDisposalAsync().ConfigureAwait(false);
        DockerShell[] open;
        lock (shells)
        {
            open = [.. shells];
        }

        foreach (var shell in open)
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }

        terminal.Dispose();
        if (proxies is not null)
        {
            await proxies.DisposeAsync().ConfigureAwait(false);
        }

        if (ownsContainer)
        {
            await RemoveAsync().ConfigureAwait(false);
        }

        // The container may outlive the sandbox (the result set holds it), but it never runs again: the volumes are free.
        foreach (var volume in volumes)
        {
            volume.Release(this);
        }

        lifecycle.Dispose();
    }

    /// <summary>
    /// Stops the container as <c>docker stop</c> does: SIGTERM, then SIGKILL after the grace period of the kill,
    /// or of an abort (the engine's setting); SIGKILL at once for none, and on disposal.
    /// </summary>
    private async Task StopContainerAsync()
    {
        var gracePeriod = disposing ? TimeSpan.Zero : lifecycle.KillGracePeriod ?? engine.Settings.AbortGracePeriod;
        try
        {
            if (gracePeriod <= TimeSpan.Zero)
            {
                await engine.Client.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = "SIGKILL" }).ConfigureAwait(false);
            }
            else
            {
                var seconds = (uint)Math.Ceiling(gracePeriod.TotalSeconds);
                await engine.Client.Containers.StopContainerAsync(containerId, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is DockerApiException || DockerConnection.IsUnreachable(e))
        {
            // Not running any more (409), already gone (404), or the daemon is gone: the run reports it.
        }
    }

    private Task RemoveAsync() => Interlocked.Exchange(ref removed, 1) == 0 ? engine.RemoveContainerAsync(containerId) : Task.CompletedTask;

    /// <summary>Opens the listener of the container's proxies in its network namespace, once it runs.</summary>
    private async Task OpenProxiesAsync()
    {
        if (proxies is null)
        {
            return;
        }

        try
        {
            var inspected = await engine.Client.Containers.InspectContainerAsync(containerId).ConfigureAwait(false);
            if (inspected.State is { Running: true, Pid: > 0 and var pid })
            {
                await proxies.OpenAsync(pid, async () =>
                {
                    var again = await engine.Client.Containers.InspectContainerAsync(containerId).ConfigureAwait(false);
                    return again.State is { Running: true } && again.State.Pid == pid;
                }, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or DockerApiException)
        {
            log.WriteErrorLine($"The task's proxies are not reachable: {e.Message}");
        }
    }

    private async Task<DockerResultSet> RunAsync(CancellationToken stopping)
    {
        var client = engine.Client;
        var output = PumpAsync();
        long exitCode;
        bool outOfMemory;
        var stopped = Task.CompletedTask;
        try
        {
            try
            {
                await client.Containers.StartContainerAsync(containerId, new ContainerStartParameters()).ConfigureAwait(false);
            }
            catch (DockerApiException e)
            {
                // Say, the command does not exist in the image: the task's fault, so a failed result.
                log.WriteErrorLine($"The container could not start: {ImageStore.MessageOf(e)}");
            }

            // A kill or an abort stops the container; one that came while it started stops it now.
            using var onStop = stopping.Register(() => stopped = StopContainerAsync());
            if (!stopping.IsCancellationRequested)
            {
                await OpenProxiesAsync().ConfigureAwait(false);
            }

            var waited = await client.Containers.WaitContainerAsync(containerId).ConfigureAwait(false);
            exitCode = waited.StatusCode;
            await output.ConfigureAwait(false);
            var inspected = await client.Containers.InspectContainerAsync(containerId).ConfigureAwait(false);
            outOfMemory = inspected.State?.OOMKilled ?? false;
        }
        // After an abort (a stop without a kill's grace period) the daemon going away is no news: the run is thrown away.
        catch (Exception e) when (DockerConnection.IsUnreachable(e) && !(stopping.IsCancellationRequested && lifecycle.KillGracePeriod is null))
        {
            var lost = engine.DaemonLost(e, "while the task ran");
            log.WriteErrorLine(lost.Message);
            throw lost;
        }
        finally
        {
            ended = true;
            await stopped.ConfigureAwait(false);
        }

        var killed = lifecycle.Finish();

        if (outOfMemory)
        {
            var limit = engine.Settings.MemoryBytes is { } bytes ? $" of {bytes / (1024 * 1024)} MiB" : string.Empty;
            log.WriteErrorLine($"The task ran out of memory: the container reached its memory limit{limit} and the kernel killed it (out of memory).");
        }

        var success = !killed && !outOfMemory && exitCode == 0;
        return new DockerResultSet(new ContainerFiles(engine.FileClient, containerId, workingDirectory), success, killed ? null : (int)exitCode, RemoveAsync);
    }

    /// <summary>Copies the container's terminal into the log, as raw bytes, until the container ends.</summary>
    private async Task PumpAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await terminal.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None).ConfigureAwait(false);
                if (read.EOF)
                {
                    return;
                }

                await log.WriteAsync(buffer.AsMemory(0, read.Count)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection broke (the daemon went away, or the sandbox was disposed): waiting tells which.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
