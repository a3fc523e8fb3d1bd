using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Tasks;

namespace TcWorker.Plugins;

/// <summary>
/// A plugin adds a feature around every task run. One instance lives as long as the worker and is
/// called concurrently for concurrent tasks.
/// </summary>
public interface IPlugin : IAsyncDisposable
{
    /// <summary>
    /// The JSON schema of the payload keys this plugin owns: an object schema whose <c>properties</c>
    /// are merged with the engine's and the other plugins'. Two owners of one key are a config error,
    /// except for containers: when several components declare the same key as an object with
    /// <c>properties</c> (such as <c>features</c> or <c>onExitStatus</c>), each owns the properties it
    /// declares inside it, and <c>additionalProperties: false</c> stays when any of them says so. The
    /// schema may hold <c>definitions</c> and local <c>$ref</c>s to them (<c>#/definitions/name</c>).
    /// </summary>
    JObject PayloadSchema { get; }

    /// <summary>
    /// The payload schema for the tasks of one engine branch: the same feature may be written
    /// differently in two dialects (<c>artifacts</c> is an array in generic-worker's payload and an
    /// object keyed by name in docker-worker's). Return <see langword="null"/> to take no part in
    /// that branch: the plugin then owns no keys there and is not run for its tasks. Called once
    /// per engine at start-up. The default returns <see cref="PayloadSchema"/> for every branch.
    /// </summary>
    /// <param name="branch">The engine and its payload dialect.</param>
    /// <returns>An object schema, or <see langword="null"/>.</returns>
    JObject? GetPayloadSchema(PayloadBranch branch) => PayloadSchema;

    /// <summary>Documentation for task authors and operators, in Markdown sections.</summary>
    IReadOnlyList<DocSection> Documentation { get; }

    /// <summary>
    /// Creates the plugin's part of one task run. Runs in parallel with the engine's sandbox builder
    /// creation. Throws <see cref="Errors.MalformedPayloadException"/> for a payload it cannot accept.
    /// </summary>
    /// <param name="options">The task context and the payload keys this plugin owns.</param>
    /// <param name="cancellationToken">Fires when the run is aborted before the task plugin is ready.</param>
    /// <returns>The task plugin; the runtime disposes it at the end of the run.</returns>
    Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Told about once a minute while the worker runs no task, e.g. to stop an idle machine. Called
    /// from the worker loop, for every enabled plugin in turn: return quickly and never throw (an
    /// exception is logged and ignored).
    /// </summary>
    /// <param name="idleFor">How long the worker has been without a task.</param>
    void ReportIdle(TimeSpan idleFor)
    {
    }

    /// <summary>
    /// Told when a run ended with a non-fatal internal error (<c>exception/internal-error</c> caused by
    /// the engine, a plugin or the runtime), e.g. to count them: once per such run, after it resolved,
    /// for every enabled plugin. Not told about fatal errors, which stop the worker. Return quickly and
    /// never throw (an exception is logged and ignored).
    /// </summary>
    /// <param name="error">The error.</param>
    void ReportNonFatalError(Exception error)
    {
    }
}

/// <summary>What a plugin is given for one task run. New members may be added; construct it with an object initializer.</summary>
public sealed class TaskPluginOptions
{
    /// <summary>The task context of the run.</summary>
    public required ITaskContext Task { get; init; }

    /// <summary>The payload keys this plugin owns (filtered from the task payload; inside containers, only its own properties).</summary>
    public required JObject Payload { get; init; }

    /// <summary>The engine that runs this task: its name, dialect and capabilities, and its volumes.</summary>
    public required ITaskEngine Engine { get; init; }
}

/// <summary>One engine branch of the composed payload schema, as <see cref="IPlugin.GetPayloadSchema"/> sees it. New members may be added.</summary>
public sealed class PayloadBranch
{
    /// <summary>The engine's name in the worker config.</summary>
    public required string EngineName { get; init; }

    /// <summary>The engine's <see cref="IEngine.PayloadDialect"/>.</summary>
    public required string Dialect { get; init; }

    /// <summary>The engine's capabilities.</summary>
    public required EngineCapabilities Capabilities { get; init; }
}
