using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Engines;

namespace TestAssets;

/// <summary>An engine with a config schema, for config composition tests.</summary>
public sealed class EchoEngineProvider : IEngineProvider
{
    public string Name => "echo";

    public JObject ConfigSchema => JObject.Parse("""
        { "type": "object", "additionalProperties": false,
          "properties": { "greeting": { "type": "string", "minLength": 1 }, "repeat": { "type": "integer", "minimum": 1 } } }
        """);

    public IEngine Create(EngineOptions options) => throw new NotSupportedException("discovery test asset");
}
