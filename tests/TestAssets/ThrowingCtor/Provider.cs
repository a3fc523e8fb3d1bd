using Newtonsoft.Json.Linq;
using TcWorker.Engines;

namespace TestAssets;

public sealed class ThrowingEngineProvider : IEngineProvider
{
    public ThrowingEngineProvider() => throw new InvalidOperationException("the license file /etc/throwing.lic is missing");

    public string Name => "throwing";

    public JObject ConfigSchema => [];

    public IEngine Create(EngineOptions options) => throw new NotSupportedException();
}
