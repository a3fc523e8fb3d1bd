using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Plugins;

namespace TestAssets;

public sealed class TwinBPluginProvider : IPluginProvider
{
    public string Name => "twin";

    public JObject ConfigSchema => new() { ["type"] = "object" };

    public IPlugin Create(PluginOptions options) => throw new NotSupportedException();
}
