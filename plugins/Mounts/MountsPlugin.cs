using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The mounts plugin for the worker's lifetime: its named caches and kept downloads, shared by every
/// task. Owns <c>mounts</c> and <c>onExitStatus.purgeCaches</c> in generic-worker's payload, and
/// <c>cache</c> and <c>onExitStatus.purgeCaches</c> in docker-worker's.
/// </summary>
internal sealed class MountsPlugin : IPlugin
{
    private readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = true, AutomaticDecompression = System.Net.DecompressionMethods.All, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public MountsPlugin(IWorkerEnvironment environment, ILogger logger, TimeSpan? purgeCacheInterval)
    {
        Time = environment.Time;
        Logger = logger;
        Caches = new CacheStore(environment.Collector, environment.Time);
        var downloads = new DownloadCache(environment.Storage.CreateFolder("mount-downloads"), environment.Collector, environment.Time);
        Fetcher = new ContentFetcher(downloads, http, environment.Storage);
        PurgeRequests = new PurgeRequestPoller(environment, Caches, purgeCacheInterval, logger);
    }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public CacheStore Caches { get; }

    public ContentFetcher Fetcher { get; }

    /// <summary>Polls the purge-cache service before tasks attach caches.</summary>
    public PurgeRequestPoller PurgeRequests { get; }

    public JObject PayloadSchema => MountsSchema.GenericWorker;

    public JObject? GetPayloadSchema(PayloadBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return branch.Dialect == "docker-worker" ? MountsSchema.DockerWorker : MountsSchema.GenericWorker;
    }

    public IReadOnlyList<DocSection> Documentation => MountsSchema.Documentation;

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var payload = options.Payload;
        var requests = payload["cache"] is JObject dockerCaches
            ? MountRequest.ParseDockerCaches(dockerCaches, options.Task)
            : MountRequest.Parse(payload["mounts"] as JArray, options.Task);
        var purgeCodes = (payload["onExitStatus"]?["purgeCaches"] as JArray)?.Values<long>().ToHashSet() ?? [];
        if (requests.Count == 0)
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        if (!options.Engine.Capabilities.Supports(EngineFeatures.Volumes))
        {
            throw new MalformedPayloadException($"[mounts] {requests[0].Label}: the engine '{options.Engine.Name}' has no volumes, so this worker cannot mount anything for its tasks");
        }

        return Task.FromResult<ITaskPlugin>(new MountsTaskPlugin(this, options, requests, purgeCodes));
    }

    public async ValueTask DisposeAsync()
    {
        await Caches.DisposeAllAsync().ConfigureAwait(false);
        http.Dispose();
    }
}
