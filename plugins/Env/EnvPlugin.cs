using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Env;

internal sealed class EnvPlugin(EnvSettings settings) : IPlugin
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
            The payload's `env` object sets environment variables for the task (string values only),
            over the worker's configured `extra` variables. The worker then sets the variables it
            forces, which win over the payload's, as in generic-worker: `TASK_ID`, `RUN_ID`,
            `TASK_WORKDIR` (when the engine has a working directory), `TASK_GROUP_ID`,
            `TASKCLUSTER_ROOT_URL`, and `TASKCLUSTER_WORKER_LOCATION` / `TASKCLUSTER_INSTANCE_TYPE`
            when the worker knows them. The task log says when the payload's value of one of them is
            not used. A variable that another plugin also sets (such as `TASKCLUSTER_PROXY_URL`) makes
            the payload malformed, naming it.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = options.Payload["env"] is JObject values
            ? values.Properties().Select(p => KeyValuePair.Create(p.Name, p.Value.Value<string>() ?? string.Empty)).ToArray()
            : [];
        return Task.FromResult<ITaskPlugin>(new EnvTaskPlugin(options.Task, settings, env));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
