using Newtonsoft.Json.Linq;
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
    /// are merged with the engine's and the other plugins'. Two owners of one key are a config error.
    /// </summary>
    JObject PayloadSchema { get; }

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

    /// <summary>Told now and then while the worker has no task; e.g. to stop an idle machine.</summary>
    /// <param name="idleFor">How long the worker has been without a task.</param>
    void ReportIdle(TimeSpan idleFor)
    {
    }

    /// <summary>Told when a run ended with a non-fatal internal error.</summary>
    /// <param name="error">The error.</param>
    void ReportNonFatalError(Exception error)
    {
    }
}

/// <summary>What a plugin is given for one task run.</summary>
/// <param name="Task">The task context of the run.</param>
/// <param name="Payload">The payload keys this plugin owns (filtered from the task payload).</param>
public sealed record TaskPluginOptions(ITaskContext Task, JObject Payload);
