using Newtonsoft.Json;

namespace TcWorker.Taskcluster;

/// <summary>Body of createUpload.</summary>
public sealed class CreateUploadRequest
{
    /// <summary>The project id (must match the queue's createArtifact response for artifacts).</summary>
    [JsonProperty("projectId")]
    public required string ProjectId { get; init; }

    /// <summary>The upload id (must match the queue's createArtifact response for artifacts).</summary>
    [JsonProperty("uploadId")]
    public required string UploadId { get; init; }

    /// <summary>When the object expires.</summary>
    [JsonProperty("expires")]
    public required DateTimeOffset Expires { get; init; }

    /// <summary>The upload methods the caller can do; the service picks one.</summary>
    [JsonProperty("proposedUploadMethods")]
    public ProposedUploadMethods ProposedUploadMethods { get; init; } = new();

    /// <summary>Hashes known in advance (lowercase hex), or null.</summary>
    [JsonProperty("hashes")]
    public ObjectHashes? Hashes { get; init; }
}

/// <summary>Upload methods offered to the object service.</summary>
public sealed class ProposedUploadMethods
{
    /// <summary>Data sent inline (at most 8 KiB decoded).</summary>
    [JsonProperty("dataInline")]
    public DataInlineUpload? DataInline { get; init; }

    /// <summary>A PUT to a URL the service returns.</summary>
    [JsonProperty("putUrl")]
    public PutUrlUploadRequest? PutUrl { get; init; }
}

/// <summary>The dataInline method.</summary>
public sealed class DataInlineUpload
{
    /// <summary>The content type.</summary>
    [JsonProperty("contentType")]
    public required string ContentType { get; init; }

    /// <summary>The data, standard base64.</summary>
    [JsonProperty("objectData")]
    public required string ObjectData { get; init; }
}

/// <summary>The putUrl method as proposed.</summary>
public sealed class PutUrlUploadRequest
{
    /// <summary>The content type.</summary>
    [JsonProperty("contentType")]
    public required string ContentType { get; init; }

    /// <summary>The exact length in bytes.</summary>
    [JsonProperty("contentLength")]
    public required long ContentLength { get; init; }
}

/// <summary>Response of createUpload.</summary>
public sealed class CreateUploadResponse
{
    /// <summary>The project id.</summary>
    [JsonProperty("projectId")]
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>The upload id.</summary>
    [JsonProperty("uploadId")]
    public string UploadId { get; init; } = string.Empty;

    /// <summary>When the object expires.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>The chosen method; neither set means none was acceptable.</summary>
    [JsonProperty("uploadMethod")]
    public UploadMethod UploadMethod { get; init; } = new();
}

/// <summary>The upload method the object service chose.</summary>
public sealed class UploadMethod
{
    /// <summary>True when the inline data was stored already.</summary>
    [JsonProperty("dataInline")]
    public bool? DataInline { get; init; }

    /// <summary>Where and how to PUT the data.</summary>
    [JsonProperty("putUrl")]
    public PutUrlUpload? PutUrl { get; init; }
}

/// <summary>A PUT URL and the exact headers to send with it.</summary>
public sealed class PutUrlUpload
{
    /// <summary>The URL.</summary>
    [JsonProperty("url")]
    public string Url { get; init; } = string.Empty;

    /// <summary>When the URL stops working (call createUpload again with the same values).</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>Send exactly these headers, no others.</summary>
    [JsonProperty("headers")]
    public Dictionary<string, string> Headers { get; init; } = [];
}

/// <summary>Object hashes as lowercase hex.</summary>
public sealed class ObjectHashes
{
    /// <summary>SHA-256.</summary>
    [JsonProperty("sha256")]
    public string? Sha256 { get; init; }

    /// <summary>SHA-512.</summary>
    [JsonProperty("sha512")]
    public string? Sha512 { get; init; }
}

/// <summary>Body of finishUpload.</summary>
public sealed class FinishUploadRequest
{
    /// <summary>The project id.</summary>
    [JsonProperty("projectId")]
    public required string ProjectId { get; init; }

    /// <summary>The upload id.</summary>
    [JsonProperty("uploadId")]
    public required string UploadId { get; init; }

    /// <summary>The hashes of the uploaded data.</summary>
    [JsonProperty("hashes")]
    public ObjectHashes? Hashes { get; init; }
}

/// <summary>Body of startDownload.</summary>
public sealed class StartDownloadRequest
{
    /// <summary>Accepted methods: <c>simple</c> and/or <c>getUrl</c>.</summary>
    [JsonProperty("acceptDownloadMethods")]
    public Dictionary<string, bool> AcceptDownloadMethods { get; init; } = new() { ["simple"] = true, ["getUrl"] = true };
}

/// <summary>Response of startDownload.</summary>
public sealed class StartDownloadResponse
{
    /// <summary><c>simple</c> or <c>getUrl</c>.</summary>
    [JsonProperty("method")]
    public string Method { get; init; } = string.Empty;

    /// <summary>The URL to GET.</summary>
    [JsonProperty("url")]
    public string Url { get; init; } = string.Empty;

    /// <summary>When the URL expires (getUrl).</summary>
    [JsonProperty("expires")]
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Hashes to check the download against (getUrl).</summary>
    [JsonProperty("hashes")]
    public ObjectHashes? Hashes { get; init; }
}
