using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Api;

/// <summary>What the API handlers share: the store, the state machine, the blob store, the issuer of credentials and the settings.</summary>
internal sealed class QueueContext
{
    public QueueContext(LocalQueueOptions options, QueueStore store, BlobStore blobs, TaskclusterCredentials root, CancellationToken stopping)
    {
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

    public TaskStateMachine Tasks { get; }

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
