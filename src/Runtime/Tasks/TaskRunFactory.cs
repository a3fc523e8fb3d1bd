using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// Creates the task runs of one worker. Build it once, when the engines and plugins are ready: the
/// payload schema is composed once for all runs, and each engine's
/// <see cref="Engines.EngineCapabilities.MaxConcurrency"/> is enforced across them. Thread-safe.
/// </summary>
public sealed class TaskRunFactory
{
    private readonly TaskRunComponents components;
    private readonly TaskRunOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Dictionary<string, EngineSlots> slots;

    /// <summary>
    /// Creates the factory. Throws <see cref="Schemas.SchemaCompositionException"/> when the payload
    /// schemas of the engines and plugins do not compose (<see cref="Schemas.SchemaConflictException"/> when
    /// two claim the same payload key), and <see cref="ArgumentException"/> for options without a root URL
    /// or with a hook timeout that is not positive.
    /// </summary>
    /// <param name="components">The engines and the enabled plugins, in order. The caller owns and disposes them.</param>
    /// <param name="options">Run settings.</param>
    /// <param name="loggerFactory">For the worker's log; none by default.</param>
    /// <param name="timeProvider">For hook timeouts; the system clock by default.</param>
    public TaskRunFactory(TaskRunComponents components, TaskRunOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.RootUrl, nameof(options));
        if (options.HookTimeout <= TimeSpan.Zero && options.HookTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.HookTimeout, "The hook timeout must be positive (or infinite).");
        }

        this.components = components;
        this.options = options;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TaskRun>();
        time = timeProvider ?? TimeProvider.System;
        PayloadSchema = components.PayloadSchema;
        slots = components.Engines.ToDictionary(e => e.Name, e => new EngineSlots(e.Engine.Capabilities.MaxConcurrency), StringComparer.Ordinal);
    }

    /// <summary>The composed payload schema every run validates against.</summary>
    public TaskPayloadSchema PayloadSchema { get; }

    /// <summary>Creates the run of a claimed task and its log file. Start it with <see cref="TaskRun.RunAsync"/>.</summary>
    /// <param name="claim">The claimed task.</param>
    /// <param name="logPath">Where the task log goes (under the worker's temporary folder); the caller deletes the file after the run.</param>
    /// <param name="artifacts">Creates the run's artifacts.</param>
    /// <returns>The run.</returns>
    public TaskRun Create(ClaimedTask claim, string logPath, IArtifactPublisher artifacts)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(artifacts);
        return new TaskRun(claim, logPath, artifacts, PayloadSchema, slots, options, logger, time);
    }
}
