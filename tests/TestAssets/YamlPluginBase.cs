using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Plugins;
using YamlDotNet.Serialization;

namespace TestAssets;

/// <summary>A plugin whose documentation proves which YamlDotNet it runs with, by using it.</summary>
public abstract class YamlPluginProviderBase : IPluginProvider
{
    public abstract string Name { get; }

    public JObject ConfigSchema => new() { ["type"] = "object" };

    public IPlugin Create(PluginOptions options) => new YamlPlugin();

    private sealed class YamlPlugin : IPlugin
    {
        public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

        public IReadOnlyList<DocSection> Documentation =>
        [
            new DocSection(
                "yaml",
                $"YamlDotNet {typeof(ISerializer).Assembly.GetName().Version}: " + new SerializerBuilder().Build().Serialize(new Dictionary<string, int> { ["answer"] = 42 }).Trim()),
        ];

        public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) =>
            Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
