using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.LiveLog;

/// <summary>The <c>livelog</c> plugin: the task log, live over HTTP, behind <c>public/logs/live.log</c>.</summary>
public sealed class LiveLogPluginProvider : IPluginProvider
{
    /// <summary>The reference artifact that points at the live log.</summary>
    public const string ArtifactName = "public/logs/live.log";

    /// <inheritdoc />
    public string Name => "livelog";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""{ "type": "object", "properties": {}, "additionalProperties": false }""");

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LiveLogPlugin(options.Environment.Webhooks, options.Environment.Time);
    }
}
