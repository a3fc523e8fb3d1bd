using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// An engine provides the sandboxes tasks run in. One instance lives as long as the worker and is
/// called concurrently for concurrent tasks, up to <see cref="EngineCapabilities.MaxConcurrency"/>.
/// The runtime calls <see cref="StartAsync"/> once before anything else, then
/// <see cref="CheckHealthAsync"/> now and then, and <see cref="IAsyncDisposable.DisposeAsync"/> last.
/// </summary>
public interface IEngine : IAsyncDisposable
{
    /// <summary>What the engine can do. Read once at start-up; must not change.</summary>
    EngineCapabilities Capabilities { get; }

    /// <summary>
    /// The shape of payload this engine runs, such as <see cref="PayloadDialects.GenericWorker"/> or
    /// <see cref="PayloadDialects.DockerWorker"/>. Plugins may give a different payload schema per
    /// dialect (<see cref="Plugins.IPlugin.GetPayloadSchema"/>), since the same feature can be
    /// written differently in two dialects. Defaults to <see cref="PayloadDialects.GenericWorker"/>.
    /// </summary>
    string PayloadDialect => PayloadDialects.GenericWorker;

    /// <summary>
    /// The JSON schema of the payload keys this engine owns: an object schema whose
    /// <c>properties</c> are merged with the enabled plugins' into the task payload schema. It may
    /// hold <c>definitions</c> and local <c>$ref</c>s to them (<c>#/definitions/name</c>); they are
    /// kept apart from every other component's. In a worker with several engines, each engine's
    /// schema and the plugins' schemas for its dialect form one branch of a <c>oneOf</c>, and a task
    /// runs on the engine whose branch its payload matches.
    /// </summary>
    JObject PayloadSchema { get; }

    /// <summary>Documentation for task authors and operators, in Markdown sections.</summary>
    IReadOnlyList<DocSection> Documentation { get; }

    /// <summary>
    /// Starts the engine: reach a daemon, check the host, clean up what a crash left behind. Called
    /// once, before the first task, and awaited before the worker claims anything. Throw
    /// <see cref="ConfigurationException"/> for a config the engine cannot use (the worker stops
    /// with exit code 78) and <see cref="DependencyUnavailableException"/> while something the engine
    /// needs is not up yet (the worker retries with backoff until <c>worker.startTimeout</c>, then stops
    /// with exit code 69). Any other exception stops the worker with exit code 70. Each message is
    /// shown to the operator with the engine's name: say what is wrong and where. The default does nothing.
    /// </summary>
    /// <param name="cancellationToken">
    /// Fires when the worker stops before the start has finished, or when <c>worker.startTimeout</c> has
    /// passed (the start then counts as a dependency that never came up).
    /// </param>
    /// <returns>When the engine is ready to create sandboxes.</returns>
    Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// Tells whether the engine can take tasks now. The runtime asks before it claims and every
    /// <c>worker.healthCheckInterval</c>; while the answer is unhealthy the worker claims nothing,
    /// says why, and stops after <c>worker.unhealthyTimeout</c>; running tasks go on. It should answer
    /// quickly and never throw (an exception counts as unhealthy, with its message, and so does an
    /// answer that takes longer than 10 s, or than the interval when that is shorter). May be called
    /// concurrently with task runs, never concurrently with itself. The default is always healthy.
    /// </summary>
    /// <param name="cancellationToken">Fires when the check has taken too long, or the worker stops.</param>
    /// <returns>The engine's health.</returns>
    Task<EngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => Task.FromResult(EngineHealth.Healthy);

    /// <summary>
    /// Creates a sandbox builder for one task. Runs in parallel with the plugins' task plugin
    /// creation. Throws <see cref="MalformedPayloadException"/> when the payload cannot be run.
    /// </summary>
    /// <param name="options">The task context and the payload keys this engine owns.</param>
    /// <param name="cancellationToken">Fires when the run is aborted before the builder is ready.</param>
    /// <returns>A builder; the caller disposes it (which discards it unless it was started).</returns>
    Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default);

    /// <summary>The JSON schema of <see cref="VolumeOptions.Config"/>; an empty object schema when volumes are not supported.</summary>
    JObject VolumeSchema => new() { ["type"] = "object" };

    /// <summary>
    /// Creates an empty volume (a cache, a shared folder) that can be attached to this engine's
    /// sandboxes, one at a time. Throws <see cref="FeatureNotSupportedException"/> unless
    /// <see cref="EngineFeatures.Volumes"/> is declared.
    /// </summary>
    /// <param name="options">The volume's id and engine-specific config.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The volume; the caller disposes it, which deletes its content.</returns>
    Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");

    /// <summary>
    /// Creates a volume builder that writes files, folders and links before the volume is built (a
    /// preloaded cache, an unpacked archive). Throws <see cref="FeatureNotSupportedException"/> unless
    /// <see cref="EngineFeatures.Volumes"/> is declared.
    /// </summary>
    /// <param name="options">The volume's id and engine-specific config.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The builder; the caller disposes it, which discards it unless it was built.</returns>
    Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");

    /// <summary>
    /// Re-attaches to a sandbox that was running when the worker stopped, from the token the
    /// sandbox gave (<see cref="ISandbox.ReattachToken"/>), so a restarted worker can finish its
    /// task instead of losing it. Throws <see cref="FeatureNotSupportedException"/> unless
    /// <see cref="EngineFeatures.Reattach"/> is declared, and <see cref="ResourceNotFoundException"/>
    /// when the sandbox is gone.
    /// </summary>
    /// <param name="options">The task context, the engine's payload keys and the token.</param>
    /// <param name="cancellationToken">Cancels re-attaching.</param>
    /// <returns>The sandbox, as <see cref="ISandboxBuilder.StartAsync"/> would have returned it; the caller disposes it.</returns>
    Task<ISandbox> ReattachAsync(ReattachOptions options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("reattach");
}

/// <summary>What an engine is asked to run. New members may be added; construct it with an object initializer.</summary>
public sealed class SandboxOptions
{
    /// <summary>The task context of the run.</summary>
    public required Tasks.ITaskContext Task { get; init; }

    /// <summary>The payload keys this engine owns (filtered from the task payload).</summary>
    public required JObject Payload { get; init; }
}

/// <summary>What an engine needs to re-attach to a running sandbox. New members may be added.</summary>
public sealed class ReattachOptions
{
    /// <summary>The task context of the run, as it is now (new credentials, a new log).</summary>
    public required Tasks.ITaskContext Task { get; init; }

    /// <summary>The payload keys this engine owns.</summary>
    public required JObject Payload { get; init; }

    /// <summary>The sandbox's <see cref="ISandbox.ReattachToken"/>.</summary>
    public required string Token { get; init; }
}

/// <summary>Well-known payload dialects (<see cref="IEngine.PayloadDialect"/>); an engine may name its own.</summary>
public static class PayloadDialects
{
    /// <summary>generic-worker's payload: <c>command</c> is a list of argv lists, <c>artifacts</c> an array.</summary>
    public const string GenericWorker = "generic-worker";

    /// <summary>docker-worker's payload: <c>image</c>, <c>command</c> one argv list, <c>artifacts</c> an object keyed by name.</summary>
    public const string DockerWorker = "docker-worker";
}
