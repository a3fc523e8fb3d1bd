using TcWorker.Plugins;

namespace TestAssets;

public sealed class FuturePluginProvider : IPluginProvider
{
    public string Name => "future";
}
