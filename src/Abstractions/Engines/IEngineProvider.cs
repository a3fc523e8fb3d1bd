using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Workers;

namespace TcWorker.Engines;

/// <summary>
/// The entry point of an engine. The runtime finds providers in plugin folders (a public,
/// non-abstract class with a public parameterless constructor) or takes them from in-code
/// registration (<c>services.AddTcWorker().AddEngine&lt;T&gt;()</c>). A provider must be cheap to
/// construct: it is created for every listing, even when its engine is not enabled.
/// </summary>
public interface IEngineProvider
{
    /// <summary>The engine's name as written in the worker config (<c>engine: native</c>); lowercase letters, digits and dashes.</summary>
    string Name { get; }

    /// <summary>The JSON schema of the engine's config (<c>engines.&lt;name&gt;</c> in the worker config).</summary>
    JObject ConfigSchema { get; }

    /// <summary>
    /// Creates the engine. Called once, when the worker starts with this engine enabled. The config
    /// has already been validated against <see cref="ConfigSchema"/>. It is synchronous: build objects and
    /// check the config here (throw <see cref="Errors.ConfigurationException"/> for one the engine cannot
    /// use); work that needs I/O (reaching a daemon, cleaning up after a crash) belongs in
    /// <see cref="IEngine.StartAsync"/>.
    /// </summary>
    /// <param name="options">The validated config, the worker environment and a logger.</param>
    /// <returns>The engine; the runtime disposes it when the worker stops.</returns>
    IEngine Create(EngineOptions options);
}

/// <summary>What an engine receives when it is created. New members may be added; construct it with an object initializer.</summary>
public sealed class EngineOptions
{
    /// <summary>The engine's config, validated against its config schema (an empty object when none was given).</summary>
    public required JObject Config { get; init; }

    /// <summary>The worker environment: identity, temporary storage, webhooks, lifetime.</summary>
    public required IWorkerEnvironment Environment { get; init; }

    /// <summary>A logger for the engine's own messages (not the task log).</summary>
    public required ILogger Logger { get; init; }
}
