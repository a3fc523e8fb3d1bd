using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.LogPrefix;

/// <summary>
/// The <c>logprefix</c> plugin: its config is a map of keys to values, written sorted by key as
/// <c>key: value</c> system lines at the top of every task log.
/// </summary>
public sealed class LogPrefixPluginProvider : IPluginProvider
{
    /// <inheritdoc />
    public string Name => "logprefix";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "description": "Lines for the top of every task log: key: value, sorted by key.",
          "additionalProperties": { "type": ["string", "number", "boolean"] }
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lines = options.Config.Properties()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}: {(p.Value is JValue { Value: string text } ? text : p.Value.ToString(Newtonsoft.Json.Formatting.None))}")
            .ToArray();
        return new LogPrefixPlugin(lines);
    }
}
