using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.MaxRunTime;

/// <summary>
/// The <c>maxruntime</c> plugin: kills a task that runs longer than its <c>maxRunTime</c> seconds;
/// the task then resolves <c>failed</c>.
/// </summary>
public sealed class MaxRunTimePluginProvider : IPluginProvider
{
    /// <summary>The limit when the config sets none: 24 hours, generic-worker's default <c>maxTaskRunTime</c>.</summary>
    public const int DefaultMaxRunTime = 86400;

    /// <inheritdoc />
    public string Name => "maxruntime";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "maxRunTime": {
              "type": "integer",
              "minimum": 1,
              "description": "Seconds: the upper bound of a task's maxRunTime, and the limit of tasks that set none. Default 86400."
            },
            "perTaskLimit": {
              "enum": ["require", "allow", "forbid"],
              "description": "Whether tasks must (require), may (allow, the default) or must not (forbid) set maxRunTime."
            }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limit = options.Config["maxRunTime"]?.Value<int>() ?? DefaultMaxRunTime;
        var perTask = options.Config["perTaskLimit"]?.Value<string>() switch
        {
            "require" => PerTaskLimit.Require,
            "forbid" => PerTaskLimit.Forbid,
            _ => PerTaskLimit.Allow,
        };
        return new MaxRunTimePlugin(limit, perTask, options.Environment.Time);
    }
}
