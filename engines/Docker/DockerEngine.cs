using Docker.DotNet;
using Docker.DotNet.Models;
using Version = System.Version;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// The docker engine: one container per task on a Docker daemon. Thread-safe; unbounded concurrency.
/// <see cref="StartAsync"/> connects (negotiating the API version) and removes what a crashed run of
/// this worker left; every sandbox needs it to have run.
/// </summary>
internal sealed partial class DockerEngine : IEngine
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(60);
    private readonly IWorkerEnvironment environment;
    private readonly ILogger logger;
    private DockerClient? client;
    private ImageStore? images;
    private ArtifactImages? artifactImages;
    private readonly HashSet<string> volumeIds = new(StringComparer.Ordinal);
    private string? lostReason;

    public DockerEngine(DockerSettings settings, IWorkerEnvironment environment, ILogger logger)
    {
        Settings = settings;
        this.environment = environment;
        this.logger = logger;
    }

    public DockerSettings Settings { get; }

    public EngineCapabilities Capabilities { get; } = new()
    {
        MaxConcurrency = 0,
        Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts | EngineFeatures.Kill | EngineFeatures.Shells | EngineFeatures.Volumes,
    };

    public string PayloadDialect => PayloadDialects.DockerWorker;

    public JObject PayloadSchema => DockerPayload.Schema;

    public IReadOnlyList<DocSection> Documentation => DockerDocumentation.Sections;

    /// <summary>The client; throws until <see cref="StartAsync"/> has run.</summary>
    internal DockerClient Client => client ?? throw new InvalidOperationException("The docker engine has not been started (IEngine.StartAsync).");

    internal WorkerIdentity Identity => environment.Identity;

    internal TimeProvider Time => environment.Time;

    internal ILogger Logger => logger;

    /// <summary>The API version settled at start.</summary>
    internal Version? ApiVersion { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var (version, daemon) = await DockerConnection.NegotiateAsync(Settings, cancellationToken).ConfigureAwait(false);
        var started = DockerConnection.CreateClient(Settings, version);
        try
        {
            var removed = await RemoveLeftoversAsync(started, cancellationToken).ConfigureAwait(false);
            LogStarted(logger, Settings.Endpoint, daemon, version, removed.Containers, removed.Volumes, removed.Networks);
        }
        catch (Exception e) when (DockerConnection.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            started.Dispose();
            throw new DependencyUnavailableException($"The Docker daemon at {Settings.Endpoint} stopped answering while leftovers were removed: {DockerConnection.Describe(e)}", e);
        }
        catch
        {
            started.Dispose();
            throw;
        }

        ApiVersion = version;
        images = new ImageStore(started, Settings, environment.Collector, environment.Time);
        artifactImages = new ArtifactImages(started, images, Settings, environment.Storage, environment.Time);
        Interlocked.Exchange(ref client, started)?.Dispose();
    }

    public async Task<EngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        if (client is null)
        {
            return EngineHealth.Unhealthy("the docker engine has not been started");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DockerConnection.AnswerTimeout);
        try
        {
            await client.System.PingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = $"the Docker daemon at {Settings.Endpoint} does not answer: {DockerConnection.Describe(e)}";
            if (Interlocked.Exchange(ref lostReason, reason) is null)
            {
                LogDaemonLost(logger, Settings.Endpoint, DockerConnection.Describe(e));
            }

            return EngineHealth.Unhealthy(reason);
        }

        if (Interlocked.Exchange(ref lostReason, null) is not null)
        {
            LogDaemonBack(logger, Settings.Endpoint);
        }

        return EngineHealth.Healthy;
    }

    public async Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var payload = DockerPayload.Parse(options.Payload, options.Task, Settings, environment.Identity);
        var store = images ?? throw new InvalidOperationException("The docker engine has not been started (IEngine.StartAsync).");
        ImageInspectResponse image;
        IDisposable lease;
        try
        {
            (image, lease) = payload.Image switch
            {
                ImageArtifact artifact => await artifactImages!.EnsureLeasedAsync(artifact, options.Task, cancellationToken).ConfigureAwait(false),
                var named => await store.EnsureLeasedAsync((ImageReference)named, options.Task.Log, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception e) when (DockerConnection.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw DaemonLost(e, "while the image was prepared");
        }

        var workingDirectory = Settings.WorkingDirectory ?? (string.IsNullOrEmpty(image.Config?.WorkingDir) ? "/" : image.Config.WorkingDir);
        return new DockerSandboxBuilder(this, options.Task, payload, image.ID, workingDirectory, lease);
    }

    public async Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return await DockerVolume.CreateAsync(this, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reserves a volume id among the engine's live volumes; throws <see cref="NamingConflictException"/> for one in use.</summary>
    internal void ClaimVolumeId(string id)
    {
        lock (volumeIds)
        {
            if (!volumeIds.Add(id))
            {
                throw new NamingConflictException("volume", id);
            }
        }
    }

    internal void ReleaseVolumeId(string id)
    {
        lock (volumeIds)
        {
            volumeIds.Remove(id);
        }
    }

    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DockerVolume.CheckOptions(options);
        _ = Client;
        return Task.FromResult<IVolumeBuilder>(new DockerVolumeBuilder(this, options, environment.Storage.NewFilePath("docker-volume")));
    }

    /// <summary>
    /// The engine's empty helper image (a root folder and nothing else), imported once: volume builders
    /// create a container of it that never runs, to have the daemon extract files into a volume.
    /// </summary>
    internal async Task<string> HelperImageAsync(CancellationToken cancellationToken)
    {
        const string name = "tcworker/empty:1";
        try
        {
            return (await Client.Images.InspectImageAsync(name, cancellationToken).ConfigureAwait(false)).ID;
        }
        catch (DockerImageNotFoundException)
        {
        }

        using var empty = new MemoryStream();
        var tar = new System.Formats.Tar.TarWriter(empty, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            await tar.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "./") { Mode = (UnixFileMode)0x1ed }, cancellationToken).ConfigureAwait(false);
        }

        empty.Position = 0;
        await Client.Images.CreateImageAsync(new ImagesCreateParameters { Repo = "tcworker/empty", Tag = "1" }, empty, null, new Progress<JSONMessage>(), cancellationToken).ConfigureAwait(false);
        return (await Client.Images.InspectImageAsync(name, cancellationToken).ConfigureAwait(false)).ID;
    }

    public ValueTask DisposeAsync()
    {
        images?.UnregisterAll();
        artifactImages?.Dispose();
        Interlocked.Exchange(ref client, null)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The exception for a daemon that stopped answering during a task: the task is not at fault, so the
    /// run resolves worker-shutdown and the queue runs it again. The engine counts as unhealthy from then
    /// until the daemon answers a ping.
    /// </summary>
    internal TaskException DaemonLost(Exception cause, string when)
    {
        var reason = $"the Docker daemon at {Settings.Endpoint} stopped answering {when}: {DockerConnection.Describe(cause)}";
        if (Interlocked.Exchange(ref lostReason, reason) is null)
        {
            LogDaemonLost(logger, Settings.Endpoint, DockerConnection.Describe(cause));
        }

        return new TaskException(ExceptionReason.WorkerShutdown, $"The task could not go on: {reason}. It is handed back to the queue to run again.");
    }

    /// <summary>Removes a container, its anonymous volumes with it; a missing container is fine. Failures go to the worker's log.</summary>
    internal async Task RemoveContainerAsync(string id)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await Client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, timeout.Token).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception e) when (e is DockerApiException || DockerConnection.IsUnreachable(e))
        {
            // Removed at the next start, as a leftover.
            LogRemoveFailed(logger, id, e.Message);
        }
    }

    private async Task<(int Containers, int Volumes, int Networks)> RemoveLeftoversAsync(DockerClient docker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CleanupTimeout);
        var token = timeout.Token;
        var filter = DockerLabels.Filter(environment.Identity);
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, token).ConfigureAwait(false);
        foreach (var container in containers)
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, token).ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException)
            {
            }
        }

        var volumes = (await docker.Volumes.ListAsync(new VolumesListParameters { Filters = DockerLabels.Filter(environment.Identity) }, token).ConfigureAwait(false)).Volumes ?? [];
        foreach (var volume in volumes)
        {
            await docker.Volumes.RemoveAsync(volume.Name, true, token).ConfigureAwait(false);
        }

        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = DockerLabels.Filter(environment.Identity) }, token).ConfigureAwait(false);
        foreach (var network in networks)
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, token).ConfigureAwait(false);
        }

        return (containers.Count, volumes.Count, networks.Count);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Docker daemon {Endpoint} (Docker {DaemonVersion}, Engine API {ApiVersion}); removed what an earlier run of this worker left: {Containers} containers, {Volumes} volumes, {Networks} networks")]
    private static partial void LogStarted(ILogger logger, Uri endpoint, string daemonVersion, Version apiVersion, int containers, int volumes, int networks);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The Docker daemon at {Endpoint} does not answer: {Reason}")]
    private static partial void LogDaemonLost(ILogger logger, Uri endpoint, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "The Docker daemon at {Endpoint} answers again")]
    private static partial void LogDaemonBack(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Could not remove the container {ContainerId}; it is removed at the next start: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string containerId, string reason);
}
