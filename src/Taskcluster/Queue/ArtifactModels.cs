using Newtonsoft.Json;

namespace TcWorker.Taskcluster;

/// <summary>Body of createArtifact. Make one with the static factories.</summary>
public sealed class CreateArtifactRequest
{
    private CreateArtifactRequest(string storageType, DateTimeOffset expires)
    {
        StorageType = storageType;
        Expires = expires;
    }

    /// <summary><c>object</c>, <c>s3</c>, <c>reference</c>, <c>link</c> or <c>error</c>.</summary>
    [JsonProperty("storageType")]
    public string StorageType { get; }

    /// <summary>When the artifact expires; no later than the task's expiry.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; }

    /// <summary>The content type (object, s3; optional for reference and link).</summary>
    [JsonProperty("contentType")]
    public string? ContentType { get; private init; }

    /// <summary>Informational size (object, s3); only accepted by queues since v96.7.0.</summary>
    [JsonProperty("contentLength")]
    public long? ContentLength { get; private init; }

    /// <summary>The referenced URL (reference).</summary>
    [JsonProperty("url")]
    public string? Url { get; private init; }

    /// <summary>The name of the artifact of the same run this one links to (link).</summary>
    [JsonProperty("artifact")]
    public string? Artifact { get; private init; }

    /// <summary>The reason (error): <c>file-missing-on-worker</c>, <c>invalid-resource-on-worker</c>, <c>too-large-file-on-worker</c> or <c>file-not-readable-on-worker</c>.</summary>
    [JsonProperty("reason")]
    public string? Reason { get; private init; }

    /// <summary>The message (error), at most 4096 characters.</summary>
    [JsonProperty("message")]
    public string? Message { get; private init; }

    /// <summary>An object-service artifact (preferred). Leave <paramref name="contentLength"/> null for queues older than v96.7.0.</summary>
    public static CreateArtifactRequest Object(DateTimeOffset expires, string contentType, long? contentLength = null) =>
        new("object", expires) { ContentType = contentType, ContentLength = contentLength };

    /// <summary>A legacy S3 artifact uploaded with one presigned PUT.</summary>
    public static CreateArtifactRequest S3(DateTimeOffset expires, string contentType, long? contentLength = null) =>
        new("s3", expires) { ContentType = contentType, ContentLength = contentLength };

    /// <summary>A reference to a URL (fetching the artifact redirects there).</summary>
    public static CreateArtifactRequest Reference(DateTimeOffset expires, string url, string? contentType = null) =>
        new("reference", expires) { Url = url, ContentType = contentType };

    /// <summary>A link to another artifact of the same run.</summary>
    public static CreateArtifactRequest Link(DateTimeOffset expires, string artifact, string? contentType = null) =>
        new("link", expires) { Artifact = artifact, ContentType = contentType };

    /// <summary>An error artifact (fetching it answers 424).</summary>
    public static CreateArtifactRequest Error(DateTimeOffset expires, string reason, string message) =>
        new("error", expires) { Reason = reason, Message = message };
}

/// <summary>Response of createArtifact; which fields are set depends on <see cref="StorageType"/>.</summary>
public sealed class CreateArtifactResponse
{
    /// <summary>The storage type.</summary>
    [JsonProperty("storageType")]
    public string StorageType { get; init; } = string.Empty;

    /// <summary>The object name to upload to (object).</summary>
    [JsonProperty("name")]
    public string? Name { get; init; }

    /// <summary>The project id (object).</summary>
    [JsonProperty("projectId")]
    public string? ProjectId { get; init; }

    /// <summary>The upload id (object).</summary>
    [JsonProperty("uploadId")]
    public string? UploadId { get; init; }

    /// <summary>Expiry (object: the object's; s3: the PUT URL's).</summary>
    [JsonProperty("expires")]
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Credentials for the object service upload (object).</summary>
    [JsonProperty("credentials")]
    public TaskclusterCredentials? Credentials { get; init; }

    /// <summary>The presigned PUT URL (s3).</summary>
    [JsonProperty("putUrl")]
    public string? PutUrl { get; init; }

    /// <summary>The Content-Type the PUT must carry (s3).</summary>
    [JsonProperty("contentType")]
    public string? ContentType { get; init; }
}

/// <summary>Body of finishArtifact.</summary>
public sealed class FinishArtifactRequest
{
    /// <summary>The upload id from createArtifact.</summary>
    [JsonProperty("uploadId")]
    public required string UploadId { get; init; }
}

/// <summary>One page of listArtifacts / listLatestArtifacts.</summary>
public sealed class ListArtifactsResponse
{
    /// <summary>The artifacts.</summary>
    [JsonProperty("artifacts")]
    public List<ArtifactInfo> Artifacts { get; init; } = [];

    /// <summary>Pass back to get the next page; null on the last page.</summary>
    [JsonProperty("continuationToken")]
    public string? ContinuationToken { get; init; }
}

/// <summary>An artifact as listed.</summary>
public sealed class ArtifactInfo
{
    /// <summary>The storage type.</summary>
    [JsonProperty("storageType")]
    public string StorageType { get; init; } = string.Empty;

    /// <summary>The artifact name.</summary>
    [JsonProperty("name")]
    public string Name { get; init; } = string.Empty;

    /// <summary>When it expires.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>The content type.</summary>
    [JsonProperty("contentType")]
    public string? ContentType { get; init; }

    /// <summary>The size in bytes, when the creator gave it.</summary>
    [JsonProperty("contentLength")]
    public long? ContentLength { get; init; }
}

/// <summary>Where an artifact's content can be fetched (getArtifact / getLatestArtifact).</summary>
public sealed class GetArtifactResponse
{
    /// <summary>The storage type.</summary>
    [JsonProperty("storageType")]
    public string StorageType { get; init; } = string.Empty;

    /// <summary>The URL to fetch the content from.</summary>
    [JsonProperty("url")]
    public string Url { get; init; } = string.Empty;
}
