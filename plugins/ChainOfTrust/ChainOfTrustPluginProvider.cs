using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>
/// The <c>chainoftrust</c> plugin: with <c>features.chainOfTrust: true</c> a task's run gets
/// <c>public/chain-of-trust.json</c>, the sha256 of each artifact with the task and the worker, and
/// <c>public/chain-of-trust.json.sig</c>, its ed25519 signature with the worker's key.
/// </summary>
public sealed class ChainOfTrustPluginProvider : IPluginProvider
{
    /// <summary>The config key naming the signing key file, as generic-worker names it.</summary>
    public const string KeySetting = "ed25519SigningKeyLocation";

    /// <inheritdoc />
    public string Name => "chainoftrust";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse($$"""
        {
          "type": "object",
          "required": ["{{KeySetting}}"],
          "additionalProperties": false,
          "properties": {
            "{{KeySetting}}": { "type": "string", "minLength": 1, "description": "The file holding the worker's ed25519 signing key: the base64 of its 32-byte seed, as generic-worker's key files do. Readable by the worker's user only (mode 0600): a task whose user could read it is refused." },
            "environment": { "type": "object", "description": "Facts about the worker's environment copied into each certificate's environment (generic-worker gives publicIpAddress, privateIpAddress, and the instance type and region where known)." }
          }
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = SigningKey.Load((string)options.Config[KeySetting]!, $"$.plugins.{Name}.{KeySetting}");
        var environment = options.Config["environment"] as JObject ?? [];
        return new ChainOfTrustPlugin(key, environment, options.Environment.Identity);
    }
}
