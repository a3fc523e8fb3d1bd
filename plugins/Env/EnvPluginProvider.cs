using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Env;

/// <summary>
/// The <c>env</c> plugin: sets the config's <c>extra</c> variables, then the payload's <c>env</c>
/// (a later source wins), then the variables the worker forces, as generic-worker does:
/// <c>TASK_ID</c>, <c>RUN_ID</c>, <c>TASK_WORKDIR</c>, <c>TASK_GROUP_ID</c>, <c>TASKCLUSTER_ROOT_URL</c>,
/// and <c>TASKCLUSTER_WORKER_LOCATION</c> / <c>TASKCLUSTER_INSTANCE_TYPE</c> when configured.
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
            },
            "workerLocation": {
              "type": ["string", "object"],
              "description": "Where the worker runs, as worker-runner describes it (e.g. {\"cloud\":\"aws\",\"region\":\"us-east-1\"}); tasks get it as TASKCLUSTER_WORKER_LOCATION (an object as compact JSON). worker-runner's workerLocation is copied here."
            },
            "instanceType": {
              "type": "string",
              "description": "The worker's instance type (e.g. m5.large); tasks get it as TASKCLUSTER_INSTANCE_TYPE. worker-runner's instanceType is copied here."
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
        var location = options.Config["workerLocation"] switch
        {
            JObject value => value.ToString(Newtonsoft.Json.Formatting.None),
            JValue { Type: JTokenType.String } value => value.Value<string>(),
            _ => null,
        };
        return new EnvPlugin(new EnvSettings(extra, string.IsNullOrEmpty(location) ? null : location, options.Config.Value<string>("instanceType") is { Length: > 0 } type ? type : null));
    }
}
