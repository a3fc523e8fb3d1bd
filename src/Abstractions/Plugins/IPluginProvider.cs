using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Workers;

namespace TcWorker.Plugins;

/// <summary>
/// The entry point of a plugin. The runtime finds providers in plugin folders (a public,
/// non-abstract class with a public parameterless constructor) or takes them from in-code
/// registration (<c>services.AddTcWorker().AddPlugin&lt;T&gt;()</c>). A provider must be cheap to
/// construct: it is created for every listing, even when its plugin is not enabled.
/// </summary>
public interface IPluginProvider
{
    /// <summary>The plugin's name as written in the worker config (<c>plugins: {env: {}}</c>); lowercase letters, digits and dashes.</summary>
    string Name { get; }

    /// <summary>The JSON schema of the plugin's config (<c>plugins.&lt;name&gt;</c> in the worker config).</summary>
    JObject ConfigSchema { get; }

    /// <summary>
    /// Creates the plugin. Called once, when the worker starts with this plugin enabled. The config
    /// has already been validated against <see cref="ConfigSchema"/>.
    /// </summary>
    /// <param name="options">The validated config, the worker environment and a logger.</param>
    /// <returns>The plugin; the runtime disposes it when the worker stops.</returns>
    IPlugin Create(PluginOptions options);
}

/// <summary>What a plugin receives when it is created. New members may be added; construct it with an object initializer.</summary>
public sealed class PluginOptions
{
    /// <summary>The plugin's config, validated against its config schema (an empty object when none was given).</summary>
    public required JObject Config { get; init; }

    /// <summary>The worker environment: identity, temporary storage, webhooks, lifetime.</summary>
    public required IWorkerEnvironment Environment { get; init; }

    /// <summary>A logger for the plugin's own messages (not the task log).</summary>
    public required ILogger Logger { get; init; }
}
