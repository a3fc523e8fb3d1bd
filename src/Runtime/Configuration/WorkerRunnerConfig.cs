using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// Taskcluster's worker-runner writes the config of a generic-worker-style worker: the worker pool's
/// own config keys plus <c>rootURL</c>, <c>clientId</c>, <c>accessToken</c>, <c>certificate</c>,
/// <c>provisionerId</c>, <c>workerType</c>, <c>workerGroup</c>, <c>workerId</c> and some provider
/// metadata at the top level. This maps those keys onto TcWorker's config, so an operator can swap
/// generic-worker's binary for <c>tc-worker</c> and keep the rest of the worker pool definition. The
/// worker pool's config may also come in worker-runner's documented form, <c>genericWorker: {config: {...}}</c>:
/// its keys are merged over the top-level ones.
/// </summary>
public static class WorkerRunnerConfig
{
    // Provider metadata generic-worker reads and TcWorker has no use for (yet).
    private static readonly string[] Ignored = ["workerTypeMetadata", "publicIP", "privateIP", "instanceID", "region", "availabilityZone"];

    // generic-worker's config keys with a home in an enabled engine's or plugin's config: key, parent path, name there.
    private static readonly (string Key, string[] Parent, string Name)[] Moved =
    [
        ("workerLocation", ["plugins", "env"], "workerLocation"),
        ("instanceType", ["plugins", "env"], "instanceType"),
        ("maxTaskRunTime", ["plugins", "maxruntime"], "maxRunTime"),
        ("disableOOMProtection", ["engines", "native", "resourceMonitor"], "disableOOMProtection"),
        ("maxMemoryUsagePercent", ["engines", "native", "resourceMonitor"], "maxMemoryUsagePercent"),
        ("minAvailableMemoryBytes", ["engines", "native", "resourceMonitor"], "minAvailableMemoryBytes"),
        ("allowedHighMemoryDuration", ["engines", "native", "resourceMonitor"], "allowedHighMemoryDuration"),
    ];

    /// <summary>Returns a copy of the document with worker-runner's keys moved to where TcWorker expects them.</summary>
    /// <param name="document">The config worker-runner wrote.</param>
    /// <returns>A TcWorker config document.</returns>
    public static JObject Translate(JObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = (JObject)document.DeepClone();
        JToken? Take(string key)
        {
            var value = result[key];
            result.Remove(key);
            return value;
        }

        // worker-runner's documented provider form, <workerImplementation>.config: merged over the flat keys
        // (it is the worker pool's own config); its `files` are written by worker-runner itself.
        if (Take("genericWorker") is JObject implementation && implementation["config"] is JObject pooled)
        {
            result.Merge(pooled, new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace, MergeNullValueHandling = MergeNullValueHandling.Merge });
        }

        CertifyInstance(result);
        foreach (var key in Ignored)
        {
            result.Remove(key);
        }

        foreach (var (key, parent, name) in Moved)
        {
            if (Take(key) is { } value && value.Type != JTokenType.Null && Parent(result, parent) is { } target && !target.ContainsKey(name))
            {
                target[name] = value;
            }
        }

        if (Take("rootURL") is { } rootUrl)
        {
            result["rootUrl"] = rootUrl;
        }

        var credentials = result["credentials"] as JObject ?? [];
        foreach (var key in new[] { "clientId", "accessToken", "certificate" })
        {
            if (Take(key) is { } value && !string.IsNullOrEmpty((string?)value))
            {
                credentials[key] = value;
            }
        }

        if (credentials.Count > 0)
        {
            result["credentials"] = credentials;
        }

        var worker = result["worker"] as JObject ?? [];
        var provisionerId = Take("provisionerId");
        var workerType = Take("workerType");
        if (provisionerId is not null && workerType is not null)
        {
            worker["workerPoolId"] = $"{provisionerId}/{workerType}";
        }

        foreach (var key in new[] { "workerGroup", "workerId" })
        {
            if (Take(key) is { } value)
            {
                worker[key] = value;
            }
        }

        if (worker.Count > 0)
        {
            result["worker"] = worker;
        }

        return result;
    }

    /// <summary>
    /// Gives an enabled <c>chainoftrust</c> plugin the provider's facts about the instance, for each certificate's
    /// environment, as generic-worker records them; keys the config sets itself are kept.
    /// </summary>
    private static void CertifyInstance(JObject document)
    {
        if (document["plugins"]?["chainoftrust"] is not JObject plugin)
        {
            return;
        }

        var location = document["workerLocation"] switch
        {
            JObject written => written,
            { Type: JTokenType.String } text when ((string?)text)!.TrimStart().StartsWith('{') => TryParse((string)text!),
            _ => null,
        };
        var facts = new (string Key, JToken? Value)[]
        {
            ("publicIpAddress", document["publicIP"]),
            ("privateIpAddress", document["privateIP"]),
            ("instanceId", document["instanceID"]),
            ("instanceType", document["instanceType"]),
            ("region", document["region"] ?? location?["region"]),
        };
        var environment = plugin["environment"] as JObject ?? [];
        foreach (var (key, value) in facts)
        {
            if (value is { Type: JTokenType.String } && !environment.ContainsKey(key))
            {
                environment[key] = value.DeepClone();
            }
        }

        if (environment.Count > 0)
        {
            plugin["environment"] = environment;
        }
    }

    private static JObject? TryParse(string json)
    {
        try
        {
            return JObject.Parse(json);
        }
        catch (Newtonsoft.Json.JsonReaderException)
        {
            return null;
        }
    }

    /// <summary>The object at a path, when the engine or plugin (the first two keys) is configured; a missing last level is created.</summary>
    private static JObject? Parent(JObject config, string[] path)
    {
        var current = config;
        for (var i = 0; i < path.Length; i++)
        {
            if (current[path[i]] is JObject next)
            {
                current = next;
            }
            else if (i >= 2 && current[path[i]] is null)
            {
                current = (JObject)(current[path[i]] = new JObject());
            }
            else
            {
                return null;
            }
        }

        return current;
    }
}
