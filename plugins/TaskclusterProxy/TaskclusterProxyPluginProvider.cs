using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.TaskclusterProxy;

/// <summary>
/// The <c>taskclusterproxy</c> plugin: with <c>features.taskclusterProxy: true</c> a task calls
/// Taskcluster APIs through a proxy, attached to its sandbox, that signs each request with the run's
/// temporary credentials restricted to the task's scopes.
/// </summary>
public sealed class TaskclusterProxyPluginProvider : IPluginProvider
{
    /// <summary>The variable that tells the task where its proxy is, as generic-worker names it.</summary>
    public const string UrlVariable = "TASKCLUSTER_PROXY_URL";

    /// <inheritdoc />
    public string Name => "taskclusterproxy";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""{ "type": "object", "properties": {}, "additionalProperties": false }""");

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TaskclusterProxyPlugin(options.Environment.Time);
    }
}
