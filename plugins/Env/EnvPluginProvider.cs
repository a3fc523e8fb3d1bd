using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Env;

/// <summary>
/// The <c>env</c> plugin: sets <c>TASK_ID</c>, <c>RUN_ID</c>, <c>TASKCLUSTER_ROOT_URL</c> and
/// <c>TASK_WORKDIR</c>, then the config's <c>extra</c> variables, then the payload's <c>env</c>
/// (a later source wins).
/// </summary>
public sealed class EnvPluginProvider : IPluginProvider
{
    /// <inheritdoc />
    public string Name => "env";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "extra": {
              "type": "object",
              "description": "Environment variables every task gets; the task's env overrides them.",
              "additionalProperties": { "type": "string" }
            }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var extra = options.Config["extra"] is JObject values
            ? values.Properties().Select(p => KeyValuePair.Create(p.Name, p.Value.Value<string>() ?? string.Empty)).ToArray()
            : [];
        return new EnvPlugin(extra);
    }
}
