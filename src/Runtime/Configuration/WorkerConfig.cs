using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// A loaded worker config: transforms applied, defaults filled in. Validation against the composed
/// schema happens when the registry is known (<see cref="ConfigSchemaComposer"/>).
/// </summary>
public sealed class WorkerConfig
{
    private WorkerConfig(JObject document, string source)
    {
        Document = document;
        Source = source;
    }

    /// <summary>The whole config document, after transforms and defaults.</summary>
    public JObject Document { get; }

    /// <summary>Where the config came from (a file path, or a description).</summary>
    public string Source { get; }

    /// <summary>
    /// The enabled engines' names, in config order: <c>engine: native</c> enables one, <c>engine: [native, docker]</c>
    /// several. Empty when the key is missing or is neither a name nor a list of names.
    /// </summary>
    public IReadOnlyList<string> Engines => Document["engine"] switch
    {
        JValue { Type: JTokenType.String } one => [(string)one!],
        JArray list => list.Where(t => t.Type == JTokenType.String).Select(t => (string)t!).ToList(),
        _ => [],
    };

    /// <summary>The enabled plugins' names, in the order the config lists them.</summary>
    public IReadOnlyList<string> Plugins => (Document["plugins"] as JObject)?.Properties().Select(p => p.Name).ToList() ?? [];

    /// <summary>The plugin directories the config adds.</summary>
    public IReadOnlyList<string> PluginDirectories => (Document["pluginDirectories"] as JArray)?.Values<string>().OfType<string>().ToList() ?? [];

    /// <summary>An engine's config, <c>engines.&lt;name&gt;</c> (an empty object when none is given).</summary>
    /// <param name="name">The engine's name.</param>
    /// <returns>Its config.</returns>
    public JObject EngineConfig(string name) => Document["engines"]?[name] as JObject ?? [];

    /// <summary>The JSON path of the engine at <paramref name="index"/> in <c>engine</c>: <c>$.engine</c> for a single name, <c>$.engine[1]</c> in a list.</summary>
    /// <param name="index">The engine's position in <see cref="Engines"/>.</param>
    /// <returns>The path, for messages.</returns>
    public string EnginePath(int index) => Document["engine"] is JArray ? $"$.engine[{index}]" : "$.engine";

    /// <summary>A plugin's config (an empty object when none is given).</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>Its config.</returns>
    public JObject PluginConfig(string name) => Document["plugins"]?[name] as JObject ?? [];

    /// <summary>
    /// Loads a config file (YAML or JSON), applies the <c>$env</c> transforms and fills defaults from
    /// the Taskcluster environment variables. Throws <see cref="ConfigException"/> listing every problem.
    /// </summary>
    /// <param name="path">The config file.</param>
    /// <param name="environment">Looks up environment variables; the process environment when null.</param>
    /// <returns>The config.</returns>
    /// <param name="fromWorkerRunner">Whether Taskcluster's worker-runner wrote the file (see <see cref="WorkerRunnerConfig"/>).</param>
    public static WorkerConfig Load(string path, Func<string, string?>? environment = null, bool fromWorkerRunner = false)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(path, ["the file does not exist"]);
        }

        var document = JsonDocumentReader.ReadFile(path);
        return FromDocument(fromWorkerRunner && document is JObject written ? WorkerRunnerConfig.Translate(written) : document, path, environment);
    }

    /// <summary>Builds a config from a document (transforms and defaults applied to a copy).</summary>
    /// <param name="document">The config document.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <param name="environment">Looks up environment variables; the process environment when null.</param>
    /// <returns>The config.</returns>
    public static WorkerConfig FromDocument(JToken document, string source, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        environment ??= Environment.GetEnvironmentVariable;
        if (document is not JObject)
        {
            throw new ConfigException(source, [$"$: expected an object with the keys engine, worker, plugins, ..., found {document.Type.ToString().ToLowerInvariant()}"]);
        }

        var (transformed, problems) = ConfigTransforms.Apply(document.DeepClone(), environment);
        if (problems.Count > 0)
        {
            throw new ConfigException(source, problems);
        }

        var config = (JObject)transformed;
        ApplyDefaults(config, environment);
        return new WorkerConfig(config, source);
    }

    private static void ApplyDefaults(JObject config, Func<string, string?> environment)
    {
        if (config["rootUrl"] is null && environment("TASKCLUSTER_ROOT_URL") is { Length: > 0 } rootUrl)
        {
            config["rootUrl"] = rootUrl.TrimEnd('/');
        }

        var credentials = config["credentials"] as JObject;
        void Default(string key, string variable)
        {
            if (credentials?[key] is null && environment(variable) is { Length: > 0 } value)
            {
                credentials ??= [];
                credentials[key] = value;
            }
        }

        Default("clientId", "TASKCLUSTER_CLIENT_ID");
        Default("accessToken", "TASKCLUSTER_ACCESS_TOKEN");
        Default("certificate", "TASKCLUSTER_CERTIFICATE");
        if (credentials is not null)
        {
            config["credentials"] = credentials;
        }

        // "plugins: {env: }" in YAML gives null: the plugin is enabled with its defaults. Same for engines.
        foreach (var section in new[] { config["plugins"], config["engines"] }.OfType<JObject>())
        {
            foreach (var component in section.Properties().Where(p => p.Value.Type == JTokenType.Null).ToList())
            {
                component.Value = new JObject();
            }
        }

        if (config["worker"] is JObject worker)
        {
            worker["workerGroup"] ??= Worker.WorkerOptions.DefaultWorkerGroup;
            worker["workerId"] ??= DefaultWorkerId();
            worker["capacity"] ??= Worker.WorkerOptions.ConfigDefaults["capacity"].DeepClone();
        }
    }

    /// <summary>The host name, reduced to what a worker id allows.</summary>
    internal static string DefaultWorkerId()
    {
        var chars = Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(38).ToArray();
        return chars.Length > 0 ? new string(chars) : "worker";
    }
}
