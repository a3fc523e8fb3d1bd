using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Docker;

/// <summary>Collects a task's environment, then creates, attaches to and starts its container. Thread-safe.</summary>
// imageLease keeps the image from eviction until the container exists; the builder disposes it.
internal sealed partial class DockerSandboxBuilder(DockerEngine engine, ITaskContext task, DockerPayload payload, string imageId, string workingDirectory, IDisposable imageLease) : ISandboxBuilder
{
    /// <summary>How long the daemon may take to create a container.</summary>
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DockerVolume Volume, bool ReadOnly)> mounts = new(StringComparer.Ordinal);
    private readonly ContainerProxies proxies = new();
    private int started;

    public string? WorkingDirectory => workingDirectory;

    public void SetEnvironmentVariable(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!VariableName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid environment variable name (letters, digits and underscores, not starting with a digit).");
        }

        lock (environment)
        {
            if (!environment.TryAdd(name, value))
            {
                throw new NamingConflictException("environment variable", name);
            }
        }
    }

    public void AttachVolume(VolumeMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        if (mount.Volume is not DockerVolume volume || volume.Engine != engine)
        {
            throw new ArgumentException("The volume was not created by this docker engine.", nameof(mount));
        }

        if (mount.SubPath is not null)
        {
            throw new MalformedPayloadException($"Mounting a part of a volume ('{mount.SubPath}' at '{mount.MountPoint}') is not supported by the docker engine.");
        }

        var target = MountTarget(mount.MountPoint);
        lock (mounts)
        {
            if (mounts.ContainsKey(target))
            {
                throw new NamingConflictException("mount point", target);
            }

            volume.Acquire(this);
            mounts[target] = (volume, mount.ReadOnly);
        }
    }

    public Task<ProxyEndpoint> AttachProxyAsync(string name, Microsoft.AspNetCore.Http.RequestDelegate handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (!ProxyName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid proxy name: use 3 to 22 lowercase letters.");
        }

        if (string.Equals(engine.Settings.Network, "host", StringComparison.Ordinal))
        {
            // The proxy listens on the container's own 127.0.0.1:80, which with the host's network would be the worker's.
            throw new FeatureNotSupportedException("proxies (the docker engine serves them inside the container's own network namespace, which network: host does not give it)");
        }

        if (engine.Settings.Endpoint.Scheme != "unix")
        {
            // The container's namespace is entered through this machine's /proc.
            throw new FeatureNotSupportedException("proxies (the docker engine serves them inside the container's network namespace, which it enters on this machine: the daemon must be at a local unix socket)");
        }

        return Task.FromResult(proxies.Attach(name, handler));
    }

    public async Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("The sandbox builder was already started.");
        }

        var client = engine.Client;
        string id;

        // Not cancelled by the task's token: a daemon goes on creating a container whose request was dropped, and
        // the container would be left behind with no one knowing its id. The call is bounded instead, and a
        // container created for a task that was cancelled meanwhile is removed below.
        using var createTimeout = new CancellationTokenSource(CreateTimeout);
        try
        {
            id = (await client.Containers.CreateContainerAsync(CreateParameters(), createTimeout.Token).ConfigureAwait(false)).ID;
        }
        catch (OperationCanceledException e) when (createTimeout.IsCancellationRequested)
        {
            throw engine.DaemonLost(e, $"while the task's container was created (no answer in {CreateTimeout.TotalSeconds:0} s)");
        }
        catch (DockerImageNotFoundException e)
        {
            throw new NonFatalInternalException($"The task's image {payload.Image} was removed from the daemon before its container was created: {e.Message}", e);
        }
        catch (DockerApiException e)
        {
            throw new NonFatalInternalException($"The Docker daemon refused to create the task's container: {ImageStore.MessageOf(e)}", e);
        }
        catch (Exception e) when (DockerConnection.IsUnreachable(e))
        {
            throw engine.DaemonLost(e, "while the task's container was created");
        }
        finally
        {
            // From here on the daemon keeps an image its container uses.
            imageLease.Dispose();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await engine.RemoveContainerAsync(id).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        try
        {
            var attached = await client.Containers.AttachContainerAsync(id, new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken).ConfigureAwait(false);
            var volumes = HandOverVolumes();
            var sandbox = new DockerSandbox(engine, task.Log, id, workingDirectory, attached, volumes, proxies.Any ? proxies : null);
            foreach (var volume in volumes)
            {
                volume.Transfer(this, sandbox);
            }

            sandbox.Start();
            return sandbox;
        }
        catch (Exception e)
        {
            await engine.RemoveContainerAsync(id).ConfigureAwait(false);
            if (DockerConnection.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
            {
                throw engine.DaemonLost(e, "while the task's container was attached");
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        imageLease.Dispose();
        if (Volatile.Read(ref started) == 0)
        {
            await proxies.DisposeAsync().ConfigureAwait(false);
        }

        // Volumes handed to a sandbox are no longer this builder's to release.
        foreach (var volume in HandOverVolumes())
        {
            volume.Release(this);
        }
    }

    private List<DockerVolume> HandOverVolumes()
    {
        lock (mounts)
        {
            var volumes = mounts.Values.Select(m => m.Volume).ToList();
            return volumes;
        }
    }

    /// <summary>An absolute, normalised container path for a mount point (relative ones are in the working directory).</summary>
    private string MountTarget(string mountPoint)
    {
        var path = mountPoint.StartsWith('/') ? mountPoint : workingDirectory.TrimEnd('/') + "/" + mountPoint;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Count == 0 || parts.Contains("..") || path.Contains('\0', StringComparison.Ordinal) || path.Contains(':', StringComparison.Ordinal))
        {
            throw new MalformedPayloadException($"'{mountPoint}' is not a mount point the docker engine can use (an absolute path in the container, or one in the working directory, not '/' and without '..').");
        }

        return "/" + string.Join('/', parts);
    }

    private CreateContainerParameters CreateParameters()
    {
        var settings = engine.Settings;
        List<string> variables;
        lock (environment)
        {
            variables = [.. environment.Select(kv => $"{kv.Key}={kv.Value}")];
        }

        var host = new HostConfig
        {
            NetworkMode = settings.Network,
            Privileged = payload.Privileged,
            CapAdd = payload.Ptrace ? ["SYS_PTRACE"] : null,
            // The task's output reaches the log through the attached terminal; a log driver would only
            // keep a second copy on the daemon's disk.
            LogConfig = new LogConfig { Type = "none" },
            Devices = [],
            Binds = [],
            Mounts = [],
        };
        lock (mounts)
        {
            foreach (var (target, (volume, readOnly)) in mounts)
            {
                host.Mounts.Add(new Mount { Type = "volume", Source = volume.Name, Target = target, ReadOnly = readOnly });
            }
        }

        if (proxies.Any)
        {
            // Each proxy's name resolves to the container's loopback, where its listener opens at start.
            host.ExtraHosts = [.. proxies.ExtraHosts];
        }

        if (settings.MemoryBytes is { } memory)
        {
            host.Memory = memory;
            host.MemorySwap = memory;
        }

        if (settings.Cpus is { } cpus)
        {
            host.NanoCPUs = (long)(cpus * 1e9);
        }

        if (settings.PidsLimit is { } pids)
        {
            host.PidsLimit = pids;
        }

        foreach (var device in payload.Devices)
        {
            switch (device)
            {
                case "hostSharedMemory":
                    host.Binds.Add("/dev/shm:/dev/shm");
                    break;
                case "kvm":
                    host.Devices.Add(Device("/dev/kvm"));
                    break;
                case "loopbackAudio":
                    host.Devices.Add(Device("/dev/snd"));
                    break;
                case "loopbackVideo":
                    host.Devices.Add(Device(settings.LoopbackVideoDevice));
                    break;
            }
        }

        return new CreateContainerParameters
        {
            Name = $"tcw-{task.TaskId}-{task.RunId}-{Guid.NewGuid().ToString("N")[..8]}",
            Image = imageId,
            Cmd = payload.Command.Count > 0 ? [.. payload.Command] : null,
            Env = variables,
            WorkingDir = settings.WorkingDirectory ?? string.Empty,
            Labels = DockerLabels.ForTask(engine.Identity, task.TaskId, task.RunId),
            Tty = true,
            AttachStdout = true,
            AttachStderr = true,
            OpenStdin = false,
            HostConfig = host,
        };
    }

    private static DeviceMapping Device(string path) => new() { PathOnHost = path, PathInContainer = path, CgroupPermissions = "rwm" };

    [GeneratedRegex("^[a-z]{3,22}$")]
    private static partial Regex ProxyName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
