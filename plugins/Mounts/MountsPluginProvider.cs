using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The <c>mounts</c> plugin: generic-worker's <c>mounts</c> (files, caches and extracted archives) and
/// docker-worker's <c>cache</c>, on every engine that declares volumes. Named caches outlive tasks and
/// are evicted least recently used by the worker's garbage collector.
/// </summary>
public sealed class MountsPluginProvider : IPluginProvider
{
    /// <inheritdoc />
    public string Name => "mounts";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {},
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MountsPlugin(options.Environment, options.Logger);
    }
}
