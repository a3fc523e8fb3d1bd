using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>claimWork (long poll), reclaimTask, declareWorker and quarantineWorker.</summary>
internal sealed class ClaimApi
{
    private readonly QueueContext queue;

    public ClaimApi(QueueContext queue) => this.queue = queue;

    public IEnumerable<Route> Routes()
    {
        yield return new Route("POST", "claim-work/<*taskQueueId>", "claimWork",
            ScopeExpression.Parse("""{"AllOf": ["queue:claim-work:<taskQueueId>", "queue:worker-id:<workerGroup>/<workerId>"]}"""), ClaimWorkAsync, handlerAuthorizes: true);
        yield return new Route("POST", "task/<taskId>/runs/<runId>/reclaim", "reclaimTask", ScopeExpression.Single("queue:reclaim-task:<taskId>/<runId>"), ReclaimAsync);
        yield return new Route("PUT", "provisioners/<provisionerId>/worker-types/<workerType>/<workerGroup>/<workerId>", "declareWorker",
            ScopeExpression.Parse("""{"AllOf": [{"each": "queue:declare-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>#<property>", "for": "property", "in": "properties"}]}"""),
            DeclareWorkerAsync, handlerAuthorizes: true);
        yield return new Route("PUT", "provisioners/<provisionerId>/worker-types/<workerType>/workers/<workerGroup>/<workerId>", "quarantineWorker",
            ScopeExpression.Single("queue:quarantine-worker:<provisionerId>/<workerType>/<workerGroup>/<workerId>"), QuarantineWorkerAsync);
    }

    private async Task<ApiReply> ClaimWorkAsync(ApiRequest request)
    {
        var queue = request["taskQueueId"];
        if (!TaskDefinition.IsTaskQueueId(queue))
        {
            throw QueueError.Validation($"taskQueueId `{queue}` must be <provisionerId>/<workerType>");
        }

        var body = request.Strict("workerGroup", "workerId", "tasks");
        var workerGroup = ApiRequest.RequiredString(body, "workerGroup");
        var workerId = ApiRequest.RequiredString(body, "workerId");
        TaskDefinition.CheckIdentifier("workerGroup", workerGroup);
        TaskDefinition.CheckIdentifier("workerId", workerId);
        var count = (int)(ApiRequest.Integer(body["tasks"], "data/tasks", 1, 32)
            ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'tasks' (an integer from 1 to 32)"));
        request.Authorize(new Dictionary<string, object> { ["workerGroup"] = workerGroup, ["workerId"] = workerId });
        var key = WorkerKey(queue, workerGroup, workerId);
        var timeProvider = this.queue.Options.TimeProvider;
        var waitUntil = request.Now + this.queue.Options.ClaimWorkWait;
        var first = true;
        while (true)
        {
            var pending = this.queue.Store.WhenPending(queue);
            var now = timeProvider.GetUtcNow();
            var seen = first;
            first = false;
            var claims = await this.queue.Store.RunAsync(
                (db, woken) => seen && Seen(db, key, queue, workerGroup, workerId, now) ? null : Claimed(db, key, this.queue.Tasks.Claim(db, woken, queue, workerGroup, workerId, count, now)),
                request.Aborted).ConfigureAwait(false);
            if (claims is null)
            {
                // quarantined: no work, after the full wait
                await WaitAsync(Task.Delay(Timeout.InfiniteTimeSpan, request.Aborted), this.queue.Options.ClaimWorkWait, request.Aborted).ConfigureAwait(false);
                return ApiReply.Json(new JObject { ["tasks"] = new JArray() });
            }

            if (claims.Count > 0)
            {
                var tasks = new JArray(claims.Select(c => ClaimJson(c.Task, c.RunId, workerGroup, workerId, now, includeTask: true)));
                return ApiReply.Json(new JObject { ["tasks"] = tasks });
            }

            var remaining = waitUntil - timeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero || this.queue.Stopping.IsCancellationRequested)
            {
                return ApiReply.Json(new JObject { ["tasks"] = new JArray() });
            }

            await WaitAsync(pending, remaining, request.Aborted).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for <paramref name="signal"/>, at most <paramref name="timeout"/>, and no longer than the server runs.</summary>
    private async Task WaitAsync(Task signal, TimeSpan timeout, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, queue.Stopping);
        var delay = Task.Delay(timeout, queue.Options.TimeProvider, stop.Token);
        await Task.WhenAny(signal, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        aborted.ThrowIfCancellationRequested();
    }

    private async Task<ApiReply> ReclaimAsync(ApiRequest request)
    {
        var taskId = request["taskId"];
        var runId = request.RunId;
        var entry = await queue.Store.RunAsync((db, _) => queue.Tasks.Reclaim(db, taskId, runId, request.Now), request.Aborted).ConfigureAwait(false);
        var run = entry.Run(runId)!;
        return ApiReply.Json(ClaimJson(entry, runId, (string)run["workerGroup"]!, (string)run["workerId"]!, request.Now, includeTask: false));
    }

    private JObject ClaimJson(TaskEntry entry, int runId, string workerGroup, string workerId, DateTimeOffset now, bool includeTask)
    {
        var takenUntil = QueueJson.ParseDate(entry.Run(runId)!["takenUntil"]);
        var claim = new JObject
        {
            ["status"] = entry.Status,
            ["runId"] = runId,
            ["workerGroup"] = workerGroup,
            ["workerId"] = workerId,
            ["takenUntil"] = QueueJson.Date(takenUntil),
        };
        if (includeTask)
        {
            claim["task"] = entry.Task;
        }

        claim["credentials"] = queue.ClaimCredentials(entry, runId, workerGroup, workerId, takenUntil, now);
        return claim;
    }

    private async Task<ApiReply> DeclareWorkerAsync(ApiRequest request)
    {
        // update-worker-request.json requires expires: with it the caller always needs a declare-worker scope
        var body = request.Strict("expires");
        var expires = ApiRequest.RequiredDate(body, "expires");
        request.Authorize(new Dictionary<string, object> { ["properties"] = body.Properties().Select(p => p.Name).ToArray() });
        var queue = request["provisionerId"] + "/" + request["workerType"];
        var worker = await this.queue.Store.RunAsync((db, _) =>
        {
            var key = WorkerKey(queue, request["workerGroup"], request["workerId"]);
            var doc = db.GetDocument("workers", key) ?? NewWorker(request["provisionerId"], request["workerType"], request["workerGroup"], request["workerId"], request.Now);
            doc["expires"] = QueueJson.Date(expires);
            db.SaveDocument("workers", key, doc);
            return doc;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(worker);
    }

    private async Task<ApiReply> QuarantineWorkerAsync(ApiRequest request)
    {
        var body = request.Strict("quarantineUntil", "quarantineInfo");
        var until = ApiRequest.RequiredDate(body, "quarantineUntil");
        var info = ApiRequest.String(body["quarantineInfo"], "data/quarantineInfo", 4000) ?? string.Empty;
        var queue = request["provisionerId"] + "/" + request["workerType"];
        var worker = await this.queue.Store.RunAsync((db, _) =>
        {
            var key = WorkerKey(queue, request["workerGroup"], request["workerId"]);
            var doc = db.GetDocument("workers", key) ?? throw QueueError.NotFound($"Worker {request["workerGroup"]}/{request["workerId"]} not found");
            doc["quarantineUntil"] = QueueJson.Date(until);
            var details = doc["quarantineDetails"] as JArray ?? [];
            details.Add(new JObject { ["updatedAt"] = QueueJson.Date(request.Now), ["quarantineUntil"] = QueueJson.Date(until), ["quarantineInfo"] = info, ["clientId"] = "local" });
            doc["quarantineDetails"] = details;
            db.SaveDocument("workers", key, doc);
            return doc;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(worker);
    }

    /// <summary>Records the last of <paramref name="claims"/> as the worker's latest task (listWorkers shows it).</summary>
    private static List<(TaskEntry Task, int RunId)> Claimed(QueueDatabase db, string key, List<(TaskEntry Task, int RunId)> claims)
    {
        if (claims.Count > 0 && db.GetDocument("workers", key) is { } doc)
        {
            doc["latestTask"] = new JObject { ["taskId"] = claims[^1].Task.TaskId, ["runId"] = claims[^1].RunId };
            db.SaveDocument("workers", key, doc);
        }

        return claims;
    }

    /// <summary>Records the worker as seen; true when it is quarantined.</summary>
    private static bool Seen(QueueDatabase db, string key, string queue, string workerGroup, string workerId, DateTimeOffset now)
    {
        var slash = queue.IndexOf('/', StringComparison.Ordinal);
        var doc = db.GetDocument("workers", key) ?? NewWorker(queue[..slash], queue[(slash + 1)..], workerGroup, workerId, now);
        doc["lastDateActive"] = QueueJson.Date(now);
        db.SaveDocument("workers", key, doc);
        return QueueJson.TryParseDate(doc["quarantineUntil"], out var until) && until > now;
    }

    private static JObject NewWorker(string provisionerId, string workerType, string workerGroup, string workerId, DateTimeOffset now) => new()
    {
        ["provisionerId"] = provisionerId,
        ["workerType"] = workerType,
        ["taskQueueId"] = provisionerId + "/" + workerType,
        ["workerGroup"] = workerGroup,
        ["workerId"] = workerId,
        ["recentTasks"] = new JArray(),
        ["expires"] = QueueJson.Date(now.AddDays(1)),
        ["firstClaim"] = QueueJson.Date(now),
        ["lastDateActive"] = QueueJson.Date(now),
    };

    private static string WorkerKey(string queue, string workerGroup, string workerId) => $"{queue}/{workerGroup}/{workerId}";
}
