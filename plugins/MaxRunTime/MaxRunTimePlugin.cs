using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Plugins.MaxRunTime;

internal enum PerTaskLimit
{
    Require,
    Allow,
    Forbid,
}

internal sealed class MaxRunTimePlugin(int limit, PerTaskLimit perTask, TimeProvider time) : IPlugin
{
    public JObject PayloadSchema
    {
        get
        {
            var schema = new JObject
            {
                ["type"] = "object",
                ["properties"] = new JObject
                {
                    ["maxRunTime"] = new JObject
                    {
                        ["type"] = "integer",
                        ["minimum"] = 1,
                        ["maximum"] = limit,
                        ["description"] = $"Seconds the task may run before it is killed and fails (at most {limit}).",
                    },
                },
            };
            if (perTask == PerTaskLimit.Require)
            {
                schema["required"] = new JArray("maxRunTime");
            }

            return schema;
        }
    }

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Maximum run time", $"""
            The payload's `maxRunTime` (seconds, generic-worker's field) limits how long the task runs,
            counted from the moment it started. A task over its limit is killed and resolves `failed`,
            with a line in the log saying why. This worker allows at most {limit} seconds, which is also
            the limit of tasks that set none; tasks {perTask switch
            {
                PerTaskLimit.Require => "must set `maxRunTime`",
                PerTaskLimit.Forbid => "must not set `maxRunTime`",
                _ => "may set `maxRunTime`",
            }}.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var requested = options.Payload["maxRunTime"]?.Value<int>();
        if (requested is not null && perTask == PerTaskLimit.Forbid)
        {
            throw new MalformedPayloadException($"$.maxRunTime: this worker does not let tasks set maxRunTime; every task may run {limit} seconds");
        }

        return Task.FromResult<ITaskPlugin>(new MaxRunTimeTaskPlugin(requested ?? limit, options.Task.Log, time));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
