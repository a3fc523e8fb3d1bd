using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>Payloads and configs the daemon tests share.</summary>
internal static class DockerTests
{
    /// <summary>An engine config for the test daemon: no network, no grace on abort.</summary>
    public static JObject Config(JObject? extra = null)
    {
        var config = new JObject
        {
            ["endpoint"] = DockerDaemon.Endpoint,
            ["network"] = "none",
            ["abortGracePeriodSeconds"] = 0,
        };
        if (extra is not null)
        {
            config.Merge(extra);
        }

        return config;
    }

    /// <summary>A payload that runs a busybox shell script in the test image.</summary>
    public static JObject Shell(string script, string image = DockerDaemon.Image) => new()
    {
        ["image"] = image,
        ["command"] = new JArray("sh", "-c", script),
    };
}
