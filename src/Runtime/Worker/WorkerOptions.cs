using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Artifacts;
using TcWorker.Runtime.Configuration;
using TcWorker.Workers;

namespace TcWorker.Runtime.Worker;

/// <summary>How the worker loop claims, reclaims and stops. Bound from the <c>worker</c> section of the config.</summary>
public sealed record WorkerOptions
{
    /// <summary>Who the worker is.</summary>
    public required WorkerIdentity Identity { get; init; }

    /// <summary>How many tasks run at once (further bounded by the engine's MaxConcurrency).</summary>
    public int Capacity { get; init; } = 1;

    /// <summary>Reclaim this long before takenUntil (default 3 minutes).</summary>
    public TimeSpan ReclaimOffset { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Never reclaim sooner than this after a claim or reclaim (default 30 s).</summary>
    public TimeSpan MinimumReclaimDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait this long after a claimWork call that returned nothing (the queue long-polls already; default 0).</summary>
    public TimeSpan PollingInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Stop gracefully after claiming this many tasks; null for no limit.</summary>
    public int? NumberOfTasksToRun { get; init; }

    /// <summary>Stop gracefully after this long without a task; null for never.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>On a graceful stop, how long running tasks may go on before they are aborted as worker-shutdown (default 5 minutes).</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Before a claim, collect garbage while the temporary folder's drive has less free space than this,
    /// and do not claim while it still has (bytes; 0 disables both; default 10 GiB, generic-worker's default).
    /// </summary>
    public long MinimumDiskSpace { get; init; } = DefaultMinimumDiskSpace;

    /// <summary>How long engines may keep saying a dependency is unavailable at start before the worker gives up (default 5 minutes).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the engines' health is checked, besides before each claim (default 30 s).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop (gracefully) after the engines have been unhealthy for this long without a break (default 10 minutes).</summary>
    public TimeSpan UnhealthyTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How uploaded artifacts (the task log included) are stored.</summary>
    public ArtifactStorageType ArtifactStorage { get; init; } = ArtifactStorageType.Object;

    /// <summary>Stop gracefully when a run ends with a fatal error (default true).</summary>
    public bool StopOnFatalError { get; init; } = true;

    /// <summary>The default of <see cref="MinimumDiskSpace"/>: 10 GiB.</summary>
    public const long DefaultMinimumDiskSpace = 10L << 30;

    /// <summary>Reads the options from a loaded config (validated beforehand).</summary>
    /// <param name="config">The config.</param>
    /// <returns>The options.</returns>
    public static WorkerOptions FromConfig(WorkerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var worker = config.Document["worker"] as JObject ?? [];
        TimeSpan? Seconds(string key) => worker[key] is { Type: JTokenType.Integer or JTokenType.Float } value ? TimeSpan.FromSeconds((double)value) : null;
        var defaults = new WorkerOptions { Identity = new WorkerIdentity("x/y", "x", "x") };
        return new WorkerOptions
        {
            Identity = new WorkerIdentity(
                worker.Value<string>("workerPoolId") ?? string.Empty,
                worker.Value<string>("workerGroup") ?? "default",
                worker.Value<string>("workerId") ?? WorkerConfig.DefaultWorkerId()),
            Capacity = worker.Value<int?>("capacity") ?? 1,
            ReclaimOffset = Seconds("reclaimOffset") ?? defaults.ReclaimOffset,
            MinimumReclaimDelay = Seconds("minimumReclaimDelay") ?? defaults.MinimumReclaimDelay,
            PollingInterval = Seconds("pollingInterval") ?? defaults.PollingInterval,
            NumberOfTasksToRun = worker.Value<int?>("numberOfTasksToRun"),
            IdleTimeout = Seconds("idleTimeout"),
            ShutdownGracePeriod = Seconds("shutdownGracePeriod") ?? defaults.ShutdownGracePeriod,
            MinimumDiskSpace = worker.Value<long?>("minimumDiskSpace") ?? defaults.MinimumDiskSpace,
            StartTimeout = Seconds("startTimeout") ?? defaults.StartTimeout,
            HealthCheckInterval = Seconds("healthCheckInterval") ?? defaults.HealthCheckInterval,
            UnhealthyTimeout = Seconds("unhealthyTimeout") ?? defaults.UnhealthyTimeout,
            ArtifactStorage = worker.Value<string>("artifactStorage") == "s3" ? ArtifactStorageType.S3 : ArtifactStorageType.Object,
            StopOnFatalError = worker.Value<bool?>("stopOnFatalError") ?? true,
        };
    }
}
