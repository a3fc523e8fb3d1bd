using Newtonsoft.Json.Linq;
using TcWorker.Plugins;

namespace TestAssets;

public sealed class NewerMinorPluginProvider : IPluginProvider
{
    public string Name => "newer-minor";

    public JObject ConfigSchema => new() { ["type"] = "object" };

    public IPlugin Create(PluginOptions options) => throw new NotSupportedException("discovery test asset");
}
