using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Interactive;

/// <summary>
/// The <c>interactive</c> plugin: with <c>features.interactive: true</c>, shells in the running task over a
/// WebSocket, behind the private artifact <see cref="ArtifactName"/>.
/// </summary>
public sealed class InteractivePluginProvider : IPluginProvider
{
    /// <summary>The private reference artifact that leads to the shell page, as generic-worker names it.</summary>
    public const string ArtifactName = "private/generic-worker/shell.html";

    /// <inheritdoc />
    public string Name => "interactive";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""{ "type": "object", "properties": {}, "additionalProperties": false }""");

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new InteractivePlugin(options.Environment.Webhooks, options.Environment.Time);
    }
}
