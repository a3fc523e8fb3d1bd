using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Artifacts;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Tasks;
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

    /// <summary>The default of the worker group when the config names none.</summary>
    public const string DefaultWorkerGroup = "default";

    /// <summary>
    /// The defaults of the config's <c>worker</c> section, by key, in the config's units (seconds for
    /// durations): the one place they are kept. The config schema shows them as its <c>default</c>
    /// values and <see cref="FromConfig"/> falls back on them.
    /// </summary>
    internal static IReadOnlyDictionary<string, JToken> ConfigDefaults { get; } = CreateConfigDefaults();

    /// <summary>Reads the options from a loaded config (validated beforehand).</summary>
    /// <param name="config">The config.</param>
    /// <returns>The options.</returns>
    public static WorkerOptions FromConfig(WorkerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var worker = config.Document["worker"] as JObject ?? [];
        JToken? Value(string key) => worker[key] is { Type: not JTokenType.Null } value ? value : ConfigDefaults.GetValueOrDefault(key);
        TimeSpan? Seconds(string key) => Value(key) is { Type: JTokenType.Integer or JTokenType.Float } value ? TimeSpan.FromSeconds((double)value) : null;
        return new WorkerOptions
        {
            Identity = new WorkerIdentity(
                worker.Value<string>("workerPoolId") ?? string.Empty,
                (string?)Value("workerGroup") ?? DefaultWorkerGroup,
                worker.Value<string>("workerId") ?? WorkerConfig.DefaultWorkerId()),
            Capacity = (int)Value("capacity")!,
            ReclaimOffset = Seconds("reclaimOffset")!.Value,
            MinimumReclaimDelay = Seconds("minimumReclaimDelay")!.Value,
            PollingInterval = Seconds("pollingInterval")!.Value,
            NumberOfTasksToRun = (int?)Value("numberOfTasksToRun"),
            IdleTimeout = Seconds("idleTimeout"),
            ShutdownGracePeriod = Seconds("shutdownGracePeriod")!.Value,
            MinimumDiskSpace = (long)Value("minimumDiskSpace")!,
            StartTimeout = Seconds("startTimeout")!.Value,
            HealthCheckInterval = Seconds("healthCheckInterval")!.Value,
            UnhealthyTimeout = Seconds("unhealthyTimeout")!.Value,
            ArtifactStorage = (string?)Value("artifactStorage") == "s3" ? ArtifactStorageType.S3 : ArtifactStorageType.Object,
            StopOnFatalError = (bool)Value("stopOnFatalError")!,
        };
    }

    /// <summary>The hook timeout the config asks for (<c>worker.hookTimeout</c>), or its default.</summary>
    /// <param name="config">The config.</param>
    /// <returns>How long a plugin hook may take.</returns>
    internal static TimeSpan HookTimeout(WorkerConfig config) =>
        config.Document["worker"]?["hookTimeout"] is JValue { Type: JTokenType.Integer or JTokenType.Float } seconds
            ? TimeSpan.FromSeconds((double)seconds)
            : TaskRunOptions.DefaultHookTimeout;

    private static Dictionary<string, JToken> CreateConfigDefaults()
    {
        var defaults = new WorkerOptions { Identity = new WorkerIdentity("x/y", DefaultWorkerGroup, "x") };
        static JToken Seconds(TimeSpan value) => value.TotalSeconds % 1 == 0 ? new JValue((long)value.TotalSeconds) : new JValue(value.TotalSeconds);
        return new Dictionary<string, JToken>(StringComparer.Ordinal)
        {
            ["workerGroup"] = defaults.Identity.WorkerGroup,
            ["capacity"] = defaults.Capacity,
            ["reclaimOffset"] = Seconds(defaults.ReclaimOffset),
            ["minimumReclaimDelay"] = Seconds(defaults.MinimumReclaimDelay),
            ["pollingInterval"] = Seconds(defaults.PollingInterval),
            ["shutdownGracePeriod"] = Seconds(defaults.ShutdownGracePeriod),
            ["minimumDiskSpace"] = defaults.MinimumDiskSpace,
            ["startTimeout"] = Seconds(defaults.StartTimeout),
            ["healthCheckInterval"] = Seconds(defaults.HealthCheckInterval),
            ["unhealthyTimeout"] = Seconds(defaults.UnhealthyTimeout),
            ["artifactStorage"] = defaults.ArtifactStorage == ArtifactStorageType.S3 ? "s3" : "object",
            ["stopOnFatalError"] = defaults.StopOnFatalError,
            ["hookTimeout"] = Seconds(TaskRunOptions.DefaultHookTimeout),
        };
    }
}
