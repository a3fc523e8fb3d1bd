using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>Body of registerWorker.</summary>
public sealed class RegisterWorkerRequest
{
    /// <summary>The worker pool id (<c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>).</summary>
    [JsonProperty("workerPoolId")]
    public required string WorkerPoolId { get; init; }

    /// <summary>The provider id.</summary>
    [JsonProperty("providerId")]
    public required string ProviderId { get; init; }

    /// <summary>The worker group.</summary>
    [JsonProperty("workerGroup")]
    public required string WorkerGroup { get; init; }

    /// <summary>The worker id.</summary>
    [JsonProperty("workerId")]
    public required string WorkerId { get; init; }

    /// <summary>Provider-specific proof, e.g. <c>{"staticSecret": "..."}</c>.</summary>
    [JsonProperty("workerIdentityProof")]
    public required JObject WorkerIdentityProof { get; init; }

    /// <summary>Boot time of the machine; only accepted since v96.3.</summary>
    [JsonProperty("systemBootTime")]
    public DateTimeOffset? SystemBootTime { get; init; }
}

/// <summary>Response of registerWorker.</summary>
public sealed class RegisterWorkerResponse
{
    /// <summary>When the credentials expire.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>The worker's credentials.</summary>
    [JsonProperty("credentials")]
    public TaskclusterCredentials Credentials { get; init; } = null!;

    /// <summary>Configuration from the worker pool.</summary>
    [JsonProperty("workerConfig")]
    public JObject WorkerConfig { get; init; } = [];

    /// <summary>The one-time secret for the next reregisterWorker.</summary>
    [JsonProperty("secret")]
    public string Secret { get; init; } = string.Empty;
}

/// <summary>Body of reregisterWorker.</summary>
public sealed class ReregisterWorkerRequest
{
    /// <summary>The worker pool id.</summary>
    [JsonProperty("workerPoolId")]
    public required string WorkerPoolId { get; init; }

    /// <summary>The worker group.</summary>
    [JsonProperty("workerGroup")]
    public required string WorkerGroup { get; init; }

    /// <summary>The worker id.</summary>
    [JsonProperty("workerId")]
    public required string WorkerId { get; init; }

    /// <summary>The secret from the previous (re)registration.</summary>
    [JsonProperty("secret")]
    public required string Secret { get; init; }
}

/// <summary>Response of reregisterWorker.</summary>
public sealed class ReregisterWorkerResponse
{
    /// <summary>When the credentials expire.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>The fresh credentials.</summary>
    [JsonProperty("credentials")]
    public TaskclusterCredentials Credentials { get; init; } = null!;

    /// <summary>The secret for the next reregistration.</summary>
    [JsonProperty("secret")]
    public string Secret { get; init; } = string.Empty;
}

/// <summary>Response of shouldWorkerTerminate.</summary>
public sealed class ShouldWorkerTerminateResponse
{
    /// <summary>True when the worker should shut down.</summary>
    [JsonProperty("terminate")]
    public bool Terminate { get; init; }

    /// <summary>Why.</summary>
    [JsonProperty("reason")]
    public string Reason { get; init; } = string.Empty;
}

/// <summary>Body of reportWorkerError.</summary>
public sealed class ReportWorkerErrorRequest
{
    /// <summary>The worker group.</summary>
    [JsonProperty("workerGroup")]
    public required string WorkerGroup { get; init; }

    /// <summary>The worker id.</summary>
    [JsonProperty("workerId")]
    public required string WorkerId { get; init; }

    /// <summary>A short machine-readable kind.</summary>
    [JsonProperty("kind")]
    public required string Kind { get; init; }

    /// <summary>A title.</summary>
    [JsonProperty("title")]
    public required string Title { get; init; }

    /// <summary>A description.</summary>
    [JsonProperty("description")]
    public required string Description { get; init; }

    /// <summary>Extra data.</summary>
    [JsonProperty("extra")]
    public JObject Extra { get; init; } = [];
}
