using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Testing;

/// <summary>Makes the engine's result count, as the success plugin of a real worker does: an unsuccessful result fails the task.</summary>
internal sealed class EngineSuccessPlugin : IPlugin, ITaskPlugin
{
    public const string Name = "engine-success";

    public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    public IReadOnlyList<DocSection> Documentation => [];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) => Task.FromResult<ITaskPlugin>(this);

    public Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken) => Task.FromResult(result.Success);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
