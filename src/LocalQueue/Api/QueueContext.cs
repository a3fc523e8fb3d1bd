using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Api;

/// <summary>What the API handlers share: the store, the state machine, the blob store, the issuer of credentials and the settings.</summary>
internal sealed class QueueContext
{
    public QueueContext(LocalQueueOptions options, QueueStore store, BlobStore blobs, S3ArtifactStore? s3, TaskclusterCredentials root, CancellationToken stopping)
    {
        S3 = s3;
        Stopping = stopping;
        Options = options;
        Store = store;
        Blobs = blobs;
        Root = root;
        Tasks = new TaskStateMachine(store, options.ClaimTimeout);
    }

    public LocalQueueOptions Options { get; }

    /// <summary>Fires when the server stops: long polls answer at once instead of holding up the shutdown.</summary>
    public CancellationToken Stopping { get; }

    public QueueStore Store { get; }

    public BlobStore Blobs { get; }

    /// <summary>The bucket holding artifact bytes; null when they live in the data folder.</summary>
    public S3ArtifactStore? S3 { get; }

    public TaskStateMachine Tasks { get; }

    /// <summary>Where a blob is uploaded: a presigned S3 URL, or this server's signed URL.</summary>
    public string BlobPutUrl(string blob, string contentType, DateTimeOffset expires) =>
        S3 is { } s3 ? s3.PutUrl(blob, contentType, expires) : Blobs.SignedUrl(RootUrl, "PUT", blob, expires);

    /// <summary>Where a blob is downloaded: a presigned S3 URL, or this server's signed URL.</summary>
    public string BlobGetUrl(string blob, DateTimeOffset expires) =>
        S3 is { } s3 ? s3.GetUrl(blob, expires) : Blobs.SignedUrl(RootUrl, "GET", blob, expires);

    public TaskclusterCredentials Root { get; }

    /// <summary>Set once Kestrel has bound its port.</summary>
    public string RootUrl { get; set; } = string.Empty;

    /// <summary>The credentials of one claim, named and scoped exactly like the real queue's.</summary>
    public JObject ClaimCredentials(TaskEntry task, int runId, string workerGroup, string workerId, DateTimeOffset takenUntil, DateTimeOffset now)
    {
        var run = runId.ToString(CultureInfo.InvariantCulture);
        var name = $"task-client/{task.TaskId}/{run}/on/{workerGroup}/{workerId}/until/{takenUntil.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        string[] scopes =
        [
            $"queue:reclaim-task:{task.TaskId}/{run}",
            $"queue:resolve-task:{task.TaskId}/{run}",
            $"queue:create-artifact:{task.TaskId}/{run}",
            .. task.Task["scopes"]!.Values<string>().OfType<string>(),
        ];
        return Serialize(Root.CreateTemporary(scopes, now, takenUntil, name));
    }

    public static JObject Serialize(TaskclusterCredentials credentials)
    {
        var json = new JObject { ["clientId"] = credentials.ClientId, ["accessToken"] = credentials.AccessToken };
        if (credentials.Certificate is not null)
        {
            json["certificate"] = credentials.Certificate;
        }

        return json;
    }
}
