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
            "environment": {
              "type": "object",
              "description": "Facts about the worker's instance, each certificate's environment. generic-worker's keys come first, present even when unknown (an empty string), except publicIpAddress, left out when unknown; any other key is copied after them. Under worker-runner, the provider's publicIP, privateIP, instanceID, instanceType and region (else workerLocation.region) fill the keys the config leaves out.",
              "properties": {
                "publicIpAddress": { "type": "string" },
                "privateIpAddress": { "type": "string" },
                "instanceId": { "type": "string" },
                "instanceType": { "type": "string" },
                "region": { "type": "string" }
              }
            }
          }
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = SigningKey.Load((string)options.Config[KeySetting]!, $"$.plugins.{Name}.{KeySetting}");
        return new ChainOfTrustPlugin(key, CertificateEnvironment(options.Config["environment"] as JObject ?? []), options.Environment);
    }

    /// <summary>A certificate's environment in generic-worker's shape, from the config's facts.</summary>
    internal static JObject CertificateEnvironment(JObject configured)
    {
        var environment = new JObject();
        if (configured.Value<string>("publicIpAddress") is { Length: > 0 } publicIp)
        {
            environment["publicIpAddress"] = publicIp;
        }

        foreach (var name in new[] { "privateIpAddress", "instanceId", "instanceType", "region" })
        {
            environment[name] = configured.Value<string>(name) ?? string.Empty;
        }

        foreach (var (name, value) in configured)
        {
            if (!environment.ContainsKey(name) && name != "publicIpAddress")
            {
                environment[name] = value?.DeepClone();
            }
        }

        return environment;
    }
}
