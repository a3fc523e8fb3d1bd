using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Tasks;

namespace Acme.TcWorker.PluginTemplate;

/// <summary>
/// The <c>acme-plugin-template</c> plugin: writes the payload's <c>greeting</c> to the task log when the
/// sandbox starts, prefixed with the worker config's <c>prefix</c>.
/// </summary>
public sealed class GreetingPluginProvider : IPluginProvider
{
    /// <inheritdoc />
    public string Name => "acme-plugin-template";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        { "type": "object", "properties": {
            "prefix": { "type": "string", "description": "Put before every greeting.", "default": "" } } }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options) => new GreetingPlugin(options.Config.Value<string>("prefix") ?? string.Empty);
}

internal sealed class GreetingPlugin(string prefix) : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""
        { "type": "object", "properties": {
            "greeting": { "type": "string", "description": "Written to the task log when the task starts." } } }
        """);

    public IReadOnlyList<DocSection> Documentation => [new("Greeting", "`greeting` is written to the task log when the task starts.")];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) =>
        Task.FromResult<ITaskPlugin>(new GreetingTaskPlugin(options.Task, prefix, options.Payload.Value<string>("greeting")));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>One task's part of the plugin. Every hook has a do-nothing default: override the ones you need.</summary>
internal sealed class GreetingTaskPlugin(ITaskContext task, string prefix, string? greeting) : ITaskPlugin
{
    public Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
    {
        if (greeting is not null)
        {
            task.Log.WriteLine(prefix + greeting);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
