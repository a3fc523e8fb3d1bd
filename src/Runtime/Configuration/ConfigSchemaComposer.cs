using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// Composes the worker config schema from the runtime's own part and the config schemas of the
/// enabled engines and plugins, and validates a config against it, listing every problem at once.
/// </summary>
public static class ConfigSchemaComposer
{
    /// <summary>
    /// Composes the schema. With <paramref name="engines"/> or <paramref name="plugins"/> null, every
    /// loaded engine or plugin is included (the schema editors use to complete any config file).
    /// </summary>
    /// <param name="registry">The known engines and plugins.</param>
    /// <param name="engines">The enabled engines, or null for all.</param>
    /// <param name="plugins">The enabled plugins, or null for all.</param>
    /// <returns>The composed schema.</returns>
    public static JObject Compose(ComponentRegistry registry, IEnumerable<string>? engines = null, IEnumerable<string>? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var schema = RuntimeConfigSchema.Create();
        var properties = (JObject)schema["properties"]!;

        var engineSchemas = new JObject();
        foreach (var name in engines ?? registry.EngineNames)
        {
            if (registry.TryGetEngine(name, out var provider, out _))
            {
                engineSchemas[name] = (JObject)provider!.ConfigSchema.DeepClone();
            }
        }

        properties["engines"]!["properties"] = engineSchemas;
        if (engines is null && registry.EngineNames.Count > 0)
        {
            // For editors: one known name, or a list of known names.
            var known = new JArray(registry.EngineNames);
            var engine = (JObject)properties["engine"]!;
            properties["engine"] = new JObject
            {
                ["description"] = engine["description"]!.DeepClone(),
                ["anyOf"] = new JArray(
                    new JObject { ["type"] = "string", ["enum"] = known },
                    new JObject { ["type"] = "array", ["minItems"] = 1, ["uniqueItems"] = true, ["items"] = new JObject { ["type"] = "string", ["enum"] = known.DeepClone() } }),
            };
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
    /// Checks a config: every engine and plugin it enables must exist and have loaded, each engine must be
    /// listed once, and the
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
        var engines = UsableEngines(config, registry, problems);

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
            validator = SchemaValidator.Create(Compose(registry, engines, enabled));
        }
        catch (ArgumentException e)
        {
            problems.Add($"the config schema of the engine or a plugin is invalid: {e.Message}");
            return problems;
        }

        problems.AddRange(validator.Validate(document).Select(v => v.ToString()));
        return problems;
    }

    /// <summary>
    /// The engines <c>engine</c> names that exist and loaded; every other name, a name listed twice and
    /// an empty list are problems, each naming its place (<c>$.engine</c>, <c>$.engine[1]</c>).
    /// </summary>
    private static List<string> UsableEngines(WorkerConfig config, ComponentRegistry registry, List<string> problems)
    {
        if (config.Document["engine"] is JArray { Count: 0 })
        {
            problems.Add("$.engine: the list of engines is empty; name at least one engine, e.g. engine: native");
        }

        var usable = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = config.Document["engine"] switch
        {
            JArray list => list.Select((t, i) => (Token: t, Path: $"$.engine[{i}]")).ToList(),
            { } one => [(Token: one, Path: "$.engine")],
            null => [],
        };
        foreach (var (token, path) in entries.Where(e => e.Token.Type == JTokenType.String))
        {
            var name = (string)token!;
            if (!seen.Add(name))
            {
                problems.Add($"{path}: the engine '{name}' is listed more than once; list each engine once");
            }
            else if (!registry.TryGetEngine(name, out _, out var engineError))
            {
                problems.Add($"{path}: {engineError}");
            }
            else
            {
                usable.Add(name);
            }
        }

        return usable;
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
