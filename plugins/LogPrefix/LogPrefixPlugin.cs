using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.LogPrefix;

internal sealed class LogPrefixPlugin(IReadOnlyList<string> lines) : IPlugin
{
    public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Log header", "Every task log starts with lines describing the worker, as `key: value`, configured by the worker's operator."),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Task plugins are created before anything else writes to the log, so these lines come first.
        foreach (var line in lines)
        {
            options.Task.Log.WriteLine(line);
        }

        return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
