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
    /// check the config here; start-up work that needs I/O (reaching a daemon, pulling an image) belongs in
    /// the engine, done lazily or in the background and awaited by <see cref="IEngine.CreateSandboxBuilderAsync"/>.
    /// Throw <see cref="Errors.FatalInternalException"/> there when it fails for good.
    /// </summary>
    /// <param name="options">The validated config, the worker environment and a logger.</param>
    /// <returns>The engine; the runtime disposes it when the worker stops.</returns>
    IEngine Create(EngineOptions options);
}

/// <summary>What an engine receives when it is created.</summary>
/// <param name="Config">The engine's config, validated against its config schema (an empty object when none was given).</param>
/// <param name="Environment">The worker environment: identity, temporary storage, webhooks, lifetime.</param>
/// <param name="Logger">A logger for the engine's own messages (not the task log).</param>
public sealed record EngineOptions(JObject Config, IWorkerEnvironment Environment, ILogger Logger);
