using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Success;

/// <summary>
/// The <c>success</c> plugin: a task succeeds when it exits with code 0. Exit codes listed in the
/// payload's <c>onExitStatus.retry</c> resolve <c>exception/intermittent-task</c>, so the queue
/// reruns the task while it has retries left.
/// </summary>
public sealed class SuccessPluginProvider : IPluginProvider
{
    /// <inheritdoc />
    public string Name => "success";

    /// <inheritdoc />
    public JObject ConfigSchema => new() { ["type"] = "object", ["properties"] = new JObject(), ["additionalProperties"] = false };

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options) => new SuccessPlugin();
}
