using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The <c>mounts</c> plugin: generic-worker's <c>mounts</c> (files, caches and extracted archives) and
/// docker-worker's <c>cache</c>, on every engine that declares volumes. Named caches outlive tasks and
/// are evicted least recently used by the worker's garbage collector.
/// </summary>
public sealed class MountsPluginProvider : IPluginProvider
{
    /// <summary>How often purge requests are polled unless <c>purgeCacheInterval</c> says otherwise.</summary>
    internal static readonly TimeSpan DefaultPurgeCacheInterval = TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public string Name => "mounts";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "purgeCacheInterval": {
              "type": ["number", "null"],
              "minimum": 0,
              "description": "Seconds between polls of the purge-cache service's purgeRequests for the worker's pool, made before a task attaches a writable cache (default 300; 0: before every such task; null: never)."
            }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var interval = options.Config.TryGetValue("purgeCacheInterval", out var seconds)
            ? seconds.Type == JTokenType.Null ? (TimeSpan?)null : TimeSpan.FromSeconds((double)seconds)
            : DefaultPurgeCacheInterval;
        return new MountsPlugin(options.Environment, options.Logger, interval);
    }
}
