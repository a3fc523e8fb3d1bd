using Newtonsoft.Json;

namespace TcWorker.Taskcluster;

/// <summary>Body of purgeCache.</summary>
public sealed class PurgeCacheRequest
{
    /// <summary>The name of the caches to purge, whatever their kind.</summary>
    [JsonProperty("cacheName")]
    public required string CacheName { get; init; }
}

/// <summary>One open purge request.</summary>
public sealed class PurgeRequest
{
    /// <summary>The provisioner id of the worker pool.</summary>
    [JsonProperty("provisionerId")]
    public string ProvisionerId { get; init; } = string.Empty;

    /// <summary>The worker type of the worker pool.</summary>
    [JsonProperty("workerType")]
    public string WorkerType { get; init; } = string.Empty;

    /// <summary>The name of the caches to purge.</summary>
    [JsonProperty("cacheName")]
    public string CacheName { get; init; } = string.Empty;

    /// <summary>Caches of that name made before this time are to be dropped.</summary>
    [JsonProperty("before")]
    public DateTimeOffset Before { get; init; }
}

/// <summary>Response of purgeRequests and allPurgeRequests (one page).</summary>
public sealed class PurgeRequestList
{
    /// <summary>The open purge requests.</summary>
    [JsonProperty("requests")]
    public List<PurgeRequest> Requests { get; init; } = [];

    /// <summary>Set by allPurgeRequests when more follow: pass it to the next call.</summary>
    [JsonProperty("continuationToken")]
    public string? ContinuationToken { get; init; }
}
