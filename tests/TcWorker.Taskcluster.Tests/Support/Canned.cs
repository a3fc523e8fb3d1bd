using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>Canned Taskcluster data shaped as the official schemas require.</summary>
internal static class Canned
{
    public const string TaskId = "dSlITZ4yQgmvxxAi4A8fHQ";
    public const string UploadId = "fN1SbArXTPieFVgVpxwG4Q";
    public const string WorkerClientId = "worker/static/proj/wt/wg/wid";
    public const string WorkerAccessToken = "worker-access-token-0123456789abcdefghijklmn";

    public static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public static TaskclusterCredentials Worker => new(WorkerClientId, WorkerAccessToken);

    /// <summary>A lookup that knows the worker client (with every scope).</summary>
    public static HawkClientLookup Lookup(IReadOnlyList<string>? scopes = null) =>
        (id, _) => ValueTask.FromResult(id == WorkerClientId ? new HawkClient(WorkerAccessToken, scopes ?? ["*"]) : null);

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JObject TaskDefinition() => new()
    {
        ["provisionerId"] = "proj",
        ["workerType"] = "wt",
        ["taskQueueId"] = "proj/wt",
        ["schedulerId"] = "-",
        ["projectId"] = "none",
        ["taskGroupId"] = TaskId,
        ["dependencies"] = new JArray(),
        ["requires"] = "all-completed",
        ["routes"] = new JArray(),
        ["priority"] = "lowest",
        ["retries"] = 5,
        ["created"] = Iso(Now),
        ["deadline"] = Iso(Now.AddHours(1)),
        ["expires"] = Iso(Now.AddDays(1)),
        ["scopes"] = new JArray(),
        ["payload"] = new JObject { ["command"] = new JArray("true") },
        ["metadata"] = new JObject { ["name"] = "t", ["description"] = "d", ["owner"] = "me@example.com", ["source"] = "https://example.com/" },
        ["tags"] = new JObject(),
        ["extra"] = new JObject(),
    };

    public static JObject Status(string state = "running") => new()
    {
        ["taskId"] = TaskId,
        ["provisionerId"] = "proj",
        ["workerType"] = "wt",
        ["taskQueueId"] = "proj/wt",
        ["schedulerId"] = "-",
        ["projectId"] = "none",
        ["taskGroupId"] = TaskId,
        ["deadline"] = Iso(Now.AddHours(1)),
        ["expires"] = Iso(Now.AddDays(1)),
        ["retriesLeft"] = 5,
        ["state"] = state,
        ["runs"] = new JArray(new JObject
        {
            ["runId"] = 0,
            ["state"] = state,
            ["reasonCreated"] = "scheduled",
            ["workerGroup"] = "wg",
            ["workerId"] = "wid",
            ["takenUntil"] = Iso(Now.AddMinutes(20)),
            ["scheduled"] = Iso(Now),
            ["started"] = Iso(Now),
        }),
    };

    /// <summary>Named temporary credentials as the queue hands out per claim.</summary>
    public static TaskclusterCredentials ClaimCredentials(string suffix = "") =>
        Worker.CreateTemporary(
            [$"queue:reclaim-task:{TaskId}/0", $"queue:resolve-task:{TaskId}/0", $"queue:create-artifact:{TaskId}/0"],
            Now.AddMinutes(-1), Now.AddMinutes(20), $"task-client/{TaskId}/0/on/wg/wid/until/1{suffix}");

    public static JObject CredentialsJson(TaskclusterCredentials credentials) => new()
    {
        ["clientId"] = credentials.ClientId,
        ["accessToken"] = credentials.AccessToken,
        ["certificate"] = credentials.Certificate,
    };
}
