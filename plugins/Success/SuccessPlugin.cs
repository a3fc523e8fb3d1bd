using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Success;

internal sealed class SuccessPlugin : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "onExitStatus": {
              "type": "object",
              "description": "What some exit codes mean, as in generic-worker.",
              "properties": {
                "retry": {
                  "type": "array",
                  "description": "Exit codes that resolve exception/intermittent-task, so the queue reruns the task.",
                  "items": { "type": "integer", "minimum": 1 },
                  "uniqueItems": true
                }
              },
              "additionalProperties": false
            }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Success and retries", """
            A task succeeds when its command exits with code 0, and fails otherwise. Exit codes listed
            in `onExitStatus.retry` resolve the run as `exception/intermittent-task`, and the queue
            runs the task again while it has retries left. Large Windows exit codes such as
            3221225786 (0xC000013A) match too. (`onExitStatus.purgeCaches` belongs to the mounts
            plugin, which owns caches.)
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var onExitStatus = options.Payload["onExitStatus"] as JObject;
        var retry = onExitStatus?["retry"] is JArray codes ? codes.Values<long>().ToHashSet() : [];
        return Task.FromResult<ITaskPlugin>(new SuccessTaskPlugin(retry));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class SuccessTaskPlugin(HashSet<long> retry) : ITaskPlugin
    {
        public Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
        {
            if (result.ExitCode is not { } code)
            {
                return Task.FromResult(result.Success);
            }

            // Windows reports large exit codes (0xC000013A) that an int holds as negative numbers.
            if (code != 0 && (retry.Contains(code) || retry.Contains(unchecked((uint)code))))
            {
                throw new TaskException(
                    ExceptionReason.IntermittentTask,
                    $"Exit code {code} is listed in onExitStatus.retry: the task is resolved as intermittent and will be retried if it has retries left");
            }

            return Task.FromResult(code == 0);
        }
    }
}
