using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Env;

internal sealed class EnvPlugin(IReadOnlyList<KeyValuePair<string, string>> extra) : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "env": {
              "type": "object",
              "description": "Environment variables for the task, as in generic-worker. Values are strings.",
              "additionalProperties": { "type": "string" }
            }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Environment variables", """
            The payload's `env` object sets environment variables for the task (string values only).
            Every task also gets `TASK_ID`, `RUN_ID`, `TASKCLUSTER_ROOT_URL` and, when the engine has a
            working directory, `TASK_WORKDIR`, then the worker's configured `extra` variables; the
            payload's `env` comes last and wins. A variable that another plugin also sets makes the
            payload malformed.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = options.Payload["env"] is JObject values
            ? values.Properties().Select(p => KeyValuePair.Create(p.Name, p.Value.Value<string>() ?? string.Empty)).ToArray()
            : [];
        return Task.FromResult<ITaskPlugin>(new EnvTaskPlugin(options.Task, extra, env));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
