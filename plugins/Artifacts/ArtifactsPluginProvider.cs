using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Artifacts;

/// <summary>The <c>artifacts</c> plugin: uploads the files and folders a task's payload names.</summary>
public sealed class ArtifactsPluginProvider : IPluginProvider
{
    /// <summary>Parallel uploads when the config sets none.</summary>
    public const int DefaultConcurrency = 4;

    /// <inheritdoc />
    public string Name => "artifacts";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "concurrency": { "type": "integer", "minimum": 1, "maximum": 64, "description": "How many artifacts upload at once. Default 4." }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ArtifactsPlugin(options.Config["concurrency"]?.Value<int>() ?? DefaultConcurrency);
    }
}
