using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// Composes the worker config schema from the runtime's own part and the config schemas of the
/// enabled engine and plugins, and validates a config against it, listing every problem at once.
/// </summary>
public static class ConfigSchemaComposer
{
    /// <summary>
    /// Composes the schema. With <paramref name="engine"/> or <paramref name="plugins"/> null, every
    /// loaded engine or plugin is included (the schema editors use to complete any config file).
    /// </summary>
    /// <param name="registry">The known engines and plugins.</param>
    /// <param name="engine">The enabled engine, or null for all.</param>
    /// <param name="plugins">The enabled plugins, or null for all.</param>
    /// <returns>The composed schema.</returns>
    public static JObject Compose(ComponentRegistry registry, string? engine = null, IEnumerable<string>? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var schema = RuntimeConfigSchema.Create();
        var properties = (JObject)schema["properties"]!;

        var engineNames = engine is null ? registry.EngineNames : [engine];
        var engineSchemas = new JObject();
        foreach (var name in engineNames)
        {
            if (registry.TryGetEngine(name, out var provider, out _))
            {
                engineSchemas[name] = (JObject)provider!.ConfigSchema.DeepClone();
            }
        }

        properties["engines"]!["properties"] = engineSchemas;
        if (engine is null && registry.EngineNames.Count > 0)
        {
            properties["engine"]!["enum"] = new JArray(registry.EngineNames);
        }

        var pluginSchemas = new JObject();
        foreach (var name in plugins ?? registry.PluginNames)
        {
            if (registry.TryGetPlugin(name, out var provider, out _))
            {
                pluginSchemas[name] = (JObject)provider!.ConfigSchema.DeepClone();
            }
        }

        properties["plugins"]!["properties"] = pluginSchemas;
        properties["plugins"]!["additionalProperties"] = false;
        return schema;
    }

    /// <summary>
    /// Checks a config: the engine and every plugin it enables must exist and have loaded, and the
    /// document must match the composed schema. Returns every problem, each naming where it is.
    /// </summary>
    /// <param name="config">The loaded config.</param>
    /// <param name="registry">The known engines and plugins.</param>
    /// <returns>The problems; empty when the config is usable.</returns>
    public static IReadOnlyList<string> Validate(WorkerConfig config, ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        var problems = new List<string>();
        if (config.Engine.Length > 0 && !registry.TryGetEngine(config.Engine, out _, out var engineError))
        {
            problems.Add($"$.engine: {engineError}");
        }

        var enabled = new List<string>();
        foreach (var plugin in config.Plugins)
        {
            if (registry.TryGetPlugin(plugin, out _, out var pluginError))
            {
                enabled.Add(plugin);
            }
            else
            {
                problems.Add($"$.plugins.{plugin}: {pluginError}");
            }
        }

        var document = (JObject)config.Document.DeepClone();
        if (document["plugins"] is JObject plugins)
        {
            // Unknown plugins were reported above; do not report them again as unexpected keys.
            foreach (var unknown in plugins.Properties().Where(p => !enabled.Contains(p.Name, StringComparer.Ordinal)).ToList())
            {
                unknown.Remove();
            }
        }

        SchemaValidator validator;
        try
        {
            validator = SchemaValidator.Create(Compose(registry, config.Engine.Length > 0 ? config.Engine : null, enabled));
        }
        catch (ArgumentException e)
        {
            problems.Add($"the config schema of the engine or a plugin is invalid: {e.Message}");
            return problems;
        }

        problems.AddRange(validator.Validate(document).Select(v => v.ToString()));
        return problems;
    }

    /// <summary>Validates and throws <see cref="ConfigException"/> listing every problem.</summary>
    /// <param name="config">The loaded config.</param>
    /// <param name="registry">The known engines and plugins.</param>
    public static void EnsureValid(WorkerConfig config, ComponentRegistry registry)
    {
        var problems = Validate(config, registry);
        if (problems.Count > 0)
        {
            throw new ConfigException(config.Source, problems);
        }
    }
}
