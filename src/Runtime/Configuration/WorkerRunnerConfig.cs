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
    private static readonly string[] Ignored = ["workerLocation", "workerTypeMetadata", "publicIP", "privateIP", "instanceType", "instanceID", "region", "availabilityZone"];

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

        foreach (var key in Ignored)
        {
            result.Remove(key);
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
}
