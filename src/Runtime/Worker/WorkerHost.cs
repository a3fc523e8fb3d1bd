using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.EngineChecks;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Telemetry;
using TcWorker.Runtime.Webhooks;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// Assembles a worker from a config and runs it: temporary folder, webhook server, engine and
/// plugins, the Taskcluster client and the worker loop; everything is disposed at the end.
/// </summary>
public static class WorkerHost
{
    /// <summary>
    /// Runs a worker until it stops. Throws <see cref="ConfigException"/> listing every config problem
    /// before anything starts (or naming the engine that cannot use its config when it starts), and
    /// <see cref="EngineStartException"/> when an engine does not start; <see cref="WorkerExitCodes"/>
    /// maps both, and the stop reason, to the process's exit code. Nothing is claimed before every
    /// engine has started; a stop asked for meanwhile ends the start and returns <see cref="WorkerStopReason.Stopped"/>.
    /// </summary>
    /// <param name="config">The loaded config.</param>
    /// <param name="registry">The known engines and plugins.</param>
    /// <param name="lifetime">Stops the worker (signals, worker-runner).</param>
    /// <param name="loggerFactory">The worker's logging.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    /// <param name="runner">worker-runner's protocol channel (stdin, stdout), when started by it.</param>
    /// <returns>Why the worker stopped.</returns>
    public static async Task<WorkerStopReason> RunAsync(WorkerConfig config, ComponentRegistry registry, WorkerLifetime lifetime, ILoggerFactory loggerFactory, TimeProvider? time = null, (TextReader Input, TextWriter Output)? runner = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        var problems = Problems(config, registry);
        if (problems.Count > 0)
        {
            throw new ConfigException(config.Source, problems);
        }

        return await RunValidatedAsync(config, registry, WorkerOptions.FromConfig(config), lifetime, loggerFactory, time, runner, progress: null, started: null).ConfigureAwait(false);
    }

    /// <summary>
    /// Every problem of the config against the registry (the composed schema, the root URL, the
    /// credentials), each naming where it is; empty when the worker can start from it.
    /// </summary>
    internal static List<string> Problems(WorkerConfig config, ComponentRegistry registry)
    {
        var problems = ConfigSchemaComposer.Validate(config, registry).ToList();
        if (string.IsNullOrEmpty(config.Document.Value<string>("rootUrl")))
        {
            problems.Add("$.rootUrl: the Taskcluster root URL is missing; set rootUrl or TASKCLUSTER_ROOT_URL");
        }

        if (Credentials(config) is null)
        {
            problems.Add("$.credentials: the worker's credentials are missing; set credentials.clientId and credentials.accessToken, or TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN");
        }

        if (problems.Count == 0)
        {
            try
            {
                _ = TelemetryOptions.FromConfig(config);
            }
            catch (ConfigException e)
            {
                problems.AddRange(e.Problems);
            }
        }

        return problems;
    }

    /// <summary>
    /// Runs a worker from a config <see cref="Problems"/> found nothing wrong with: the path the hosted
    /// service and <see cref="RunAsync"/> share. <paramref name="started"/> is called once every engine
    /// has started, just before the first claim; <paramref name="progress"/> follows the claim loop.
    /// </summary>
    internal static async Task<WorkerStopReason> RunValidatedAsync(WorkerConfig config, ComponentRegistry registry, WorkerOptions options, WorkerLifetime lifetime, ILoggerFactory loggerFactory, TimeProvider? time, (TextReader Input, TextWriter Output)? runner, ClaimLoopProgress? progress, Action? started)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var session = new Session(config, registry, options, lifetime, loggerFactory, time ?? TimeProvider.System, config.Document.Value<string>("rootUrl")!, Credentials(config)!) { Progress = progress, Started = started };
        if (runner is not { } channel)
        {
            return await session.RunAsync().ConfigureAwait(false);
        }

        var protocol = new WorkerRunnerProtocol(channel.Input, channel.Output, lifetime, session.ReplaceCredentials, loggerFactory.CreateLogger<WorkerRunnerProtocol>());
        try
        {
            protocol.Start();
            loggerFactory.AddProvider(new WorkerRunnerLoggerProvider(protocol));
            session.ReportError = error => protocol.ReportErrorAsync("worker-error", error.Title, error.Description, error.Extra);
            var reason = await session.RunAsync().ConfigureAwait(false);
            if (reason == WorkerStopReason.IdleTimeout)
            {
                // As generic-worker does: an idle worker asks worker-runner to remove it (and the machine).
                await protocol.SendShutdownAsync().ConfigureAwait(false);
            }

            return reason;
        }
        catch (Exception e) when (e is ConfigException or EngineStartException)
        {
            await protocol.ReportErrorAsync("worker-error", e is ConfigException ? "Worker config cannot be used" : "Engine did not start", e.Message).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await protocol.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TaskclusterCredentials? Credentials(WorkerConfig config)
    {
        var credentials = config.Document["credentials"] as JObject;
        if (credentials?.Value<string>("clientId") is not { Length: > 0 } clientId || credentials.Value<string>("accessToken") is not { Length: > 0 } accessToken)
        {
            return null;
        }

        var certificate = credentials["certificate"] is JObject parsed ? parsed.ToString(Newtonsoft.Json.Formatting.None) : credentials.Value<string>("certificate");
        return new TaskclusterCredentials(clientId, accessToken, certificate);
    }

    /// <summary>One run of a worker; holds the loop so renewed credentials reach it whenever they come.</summary>
    private sealed class Session(WorkerConfig config, ComponentRegistry registry, WorkerOptions options, WorkerLifetime lifetime, ILoggerFactory loggerFactory, TimeProvider time, string rootUrl, TaskclusterCredentials credentials)
    {
        private readonly Lock gate = new();
        private TaskclusterCredentials current = credentials;
        private TaskclusterWorker? worker;

        /// <summary>Reports to worker-runner, when run by it.</summary>
        public Func<WorkerError, Task>? ReportError { get; set; }

        /// <summary>Follows the claim loop, for the service manager's watchdog; null when nothing watches.</summary>
        public ClaimLoopProgress? Progress { get; init; }

        /// <summary>Called once every engine has started, just before the first claim.</summary>
        public Action? Started { get; init; }

        public void ReplaceCredentials(TaskclusterCredentials renewed)
        {
            lock (gate)
            {
                current = renewed;
                worker?.ReplaceCredentials(renewed);
            }
        }

        /// <summary>The purge-cache client with the worker's credentials of the moment.</summary>
        private PurgeCacheClient PurgeCacheNow(TaskclusterClient client)
        {
            lock (gate)
            {
                return client.PurgeCache.WithCredentials(current);
            }
        }

        public async Task<WorkerStopReason> RunAsync()
        {
            // The meter outlives the exporters: their last flush still sees every instrument, the
            // observable gauges included.
            using var metrics = new WorkerMetrics();
            using var telemetry = StartTelemetry(options.Identity);
            var temporaryFolder = config.Document.Value<string>("temporaryFolder") ?? Path.Combine(Path.GetTempPath(), "tc-worker-" + options.Identity.WorkerId);
            using var storage = TemporaryStorage.Open(temporaryFolder);
            var (webhooks, disposableWebhooks) = await StartWebhooksAsync().ConfigureAwait(false);
            await using var disposeWebhooks = disposableWebhooks.ConfigureAwait(false);
            var logger = loggerFactory.CreateLogger<TaskclusterWorker>();
            var collector = new GarbageCollector(() => GarbageCollector.FreeBytes(storage.Root), options.MinimumDiskSpace, logger);
            using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = rootUrl, TimeProvider = time });
            if (storage.RemovedAtOpen > 0)
            {
                WorkerLog.LeftoverFiles(logger, storage.RemovedAtOpen, storage.Root);
            }

            // Before the engines start (which may take minutes): the queue reruns these at once.
            await LeftoverClaims.ResolveAsync(storage.Root, client.Queue, time, logger, lifetime.StoppingNow).ConfigureAwait(false);
            var environment = new WorkerEnvironment(options.Identity, rootUrl, storage, webhooks, collector, loggerFactory, lifetime, time) { PurgeRequests = new PurgeRequestService(() => PurgeCacheNow(client), options.Identity.WorkerPoolId) };
            // Problems validated the config against this registry before the session began.
            var components = await WorkerComponents.CreateValidatedAsync(config, registry, environment).ConfigureAwait(false);
            await using var disposeComponents = components.ConfigureAwait(false);
            if (!await EngineStarter.StartAsync(components.Components.Engines, options.StartTimeout, config.Source, time, logger, lifetime.StoppingGracefully).ConfigureAwait(false))
            {
                return WorkerStopReason.Stopped;
            }

            var factory = new TaskRunFactory(components.Components, new TaskRunOptions { RootUrl = rootUrl, HookTimeout = WorkerOptions.HookTimeout(config) }, loggerFactory, time);
            TaskclusterWorker created;
            lock (gate)
            {
                var upkeep = new WorkerUpkeep(components.Components.Engines, components.Components.Plugins, collector, ReportError, new ClaimRecord(storage.Root), Progress);
                created = new TaskclusterWorker(client.Queue.WithCredentials(current), factory, components.Components.MaxConcurrency, storage, lifetime, options, loggerFactory, metrics, time, upkeep);
                worker = created;
            }

            // Start-up (discovery, config and schema parsing) leaves garbage the worker never
            // allocates again at that rate: compact it away and give the memory back before idling.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Started?.Invoke();
            return await created.RunAsync().ConfigureAwait(false);
        }

        private WorkerTelemetry StartTelemetry(TcWorker.Workers.WorkerIdentity identity)
        {
            var options = TelemetryOptions.FromConfig(config);
            return options.PrometheusListen is null ? WorkerTelemetry.Start(options, identity, loggerFactory) : StartWithPrometheus(options, identity);
        }

        // Apart, so that naming HttpListenerException does not load its assembly into every worker.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private WorkerTelemetry StartWithPrometheus(TelemetryOptions options, TcWorker.Workers.WorkerIdentity identity)
        {
            try
            {
                return WorkerTelemetry.Start(options, identity, loggerFactory);
            }
            catch (System.Net.HttpListenerException e)
            {
                throw new ConfigException(config.Source, [$"$.telemetry.prometheus.listen: the Prometheus endpoint could not listen: {e.Message}"]);
            }
        }

        /// <summary>
        /// In localhost mode Kestrel starts with the first task that attaches a hook, not with the
        /// worker. A public server starts now: a wrong address or certificate is an operator's config
        /// error to report before any task is claimed, not a failure of every live log later.
        /// </summary>
        private async Task<(TcWorker.Workers.IWebhookServer Server, IAsyncDisposable Disposable)> StartWebhooksAsync()
        {
            var options = WebhookOptions(config);
            if (options.Mode != "public")
            {
                var lazy = new LazyWebhookServer(options, loggerFactory);
                return (lazy, lazy);
            }

            try
            {
                var server = await WebhookServer.StartAsync(options, loggerFactory).ConfigureAwait(false);
                return (server, server);
            }
            catch (Exception e) when (e is ArgumentException or IOException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                throw new ConfigException(config.Source, [$"$.webhookServer: the public webhook server could not start: {e.Message}"]);
            }
        }
    }

    /// <summary>The webhook server's options from the config's <c>webhookServer</c> section (a relative certificate path is relative to the config file).</summary>
    internal static WebhookServerOptions WebhookOptions(WorkerConfig config)
    {
        var section = config.Document["webhookServer"] as JObject ?? [];
        var certificate = section.Value<string>("certificate");
        var configDirectory = Path.GetDirectoryName(Path.GetFullPath(config.Source));
        return new WebhookServerOptions
        {
            Mode = section.Value<string>("mode") ?? "localhost",
            Listen = section.Value<string>("listen"),
            AdvertisedBaseUrl = section.Value<string>("advertisedBaseUrl"),
            CertificatePath = certificate is null || configDirectory is null ? certificate : Path.GetFullPath(certificate, configDirectory),
            CertificatePassword = section.Value<string>("certificatePassword"),
        };
    }
}
