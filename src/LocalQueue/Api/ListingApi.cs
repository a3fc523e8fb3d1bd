using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>The queue's listings: listTaskGroup, listTaskQueues, getTaskQueue and listWorkers.</summary>
internal sealed class ListingApi
{
    private readonly QueueContext queue;

    public ListingApi(QueueContext queue) => this.queue = queue;

    public IEnumerable<Route> Routes()
    {
        yield return new Route("GET", "task-group/<taskGroupId>/list", "listTaskGroup", ScopeExpression.Single("queue:list-task-group:<taskGroupId>"), ListTaskGroupAsync);
        yield return new Route("GET", "task-queues", "listTaskQueues", ScopeExpression.Single("queue:list-task-queues"), ListTaskQueuesAsync);
        yield return new Route("GET", "task-queues/<*taskQueueId>", "getTaskQueue", ScopeExpression.Single("queue:get-task-queue:<taskQueueId>"), GetTaskQueueAsync);
        yield return new Route("GET", "provisioners/<provisionerId>/worker-types/<workerType>/workers", "listWorkers", ScopeExpression.Single("queue:list-workers:<provisionerId>/<workerType>"), ListWorkersAsync);
    }

    /// <summary>
    /// One page of tasks as <c>{tasks: [{task, status}], continuationToken?}</c>, shared with the
    /// local-only task list: <paramref name="oldestFirst"/> for listTaskGroup, newest first otherwise.
    /// </summary>
    public static async Task<JObject> TaskPageAsync(QueueContext queue, ApiRequest request, TaskFilter filter, int defaultLimit, bool oldestFirst)
    {
        var (token, limit) = Paging.Of(request, defaultLimit);
        long? position = token is null ? null
            : long.TryParse(ContinuationToken.Decode(token), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : throw QueueError.Input("Invalid continuationToken");
        var rows = await queue.Store.RunAsync((db, _) => db.ListTasks(filter, position, limit + 1, oldestFirst), request.Aborted).ConfigureAwait(false);
        var page = new JObject { ["tasks"] = new JArray(rows.Take(limit).Select(r => new JObject { ["task"] = r.Task.Task, ["status"] = r.Task.Status })) };
        if (rows.Count > limit)
        {
            page["continuationToken"] = ContinuationToken.Encode(rows[limit - 1].Position.ToString(CultureInfo.InvariantCulture));
        }

        return page;
    }

    private async Task<ApiReply> ListTaskGroupAsync(ApiRequest request)
    {
        request.CheckQuery(Paging.Query);
        var groupId = request["taskGroupId"];
        TaskDefinition.CheckSlug("taskGroupId", groupId);
        var page = await TaskPageAsync(queue, request, new TaskFilter(TaskGroupId: groupId), Paging.MaxPage, oldestFirst: true).ConfigureAwait(false);
        var tasks = (JArray)page["tasks"]!;
        if (tasks.Count == 0 && page["continuationToken"] is null && request.Context.Request.Query.Count == 0)
        {
            throw QueueError.NotFound($"No task group with taskGroupId {groupId}");
        }

        var first = tasks.Count > 0 ? (JObject)tasks[0]["task"]! : null;
        var result = new JObject
        {
            ["taskGroupId"] = groupId,
            ["schedulerId"] = first?["schedulerId"] ?? "-",
            ["expires"] = first?["expires"] ?? QueueJson.Date(request.Now),
            ["tasks"] = tasks,
        };
        if (page["continuationToken"] is { } next)
        {
            result["continuationToken"] = next;
        }

        return ApiReply.Json(result);
    }

    private async Task<ApiReply> ListTaskQueuesAsync(ApiRequest request)
    {
        request.CheckQuery(Paging.Query);
        var (token, limit) = Paging.Of(request);
        var after = token is null ? string.Empty : ContinuationToken.Decode(token);
        var queues = await queue.Store.RunAsync((db, _) => db.TaskQueueIds(after, limit + 1).Select(id => TaskQueueJson(db, id, request.Now)).ToList(), request.Aborted).ConfigureAwait(false);
        var result = new JObject { ["taskQueues"] = new JArray(queues.Take(limit)) };
        if (queues.Count > limit)
        {
            result["continuationToken"] = ContinuationToken.Encode((string)queues[limit - 1]["taskQueueId"]!);
        }

        return ApiReply.Json(result);
    }

    private async Task<ApiReply> GetTaskQueueAsync(ApiRequest request)
    {
        request.CheckQuery();
        var id = request["taskQueueId"];
        var queue = await this.queue.Store.RunAsync((db, _) => db.TaskQueueIds(string.Empty, int.MaxValue).Contains(id) ? TaskQueueJson(db, id, request.Now) : null, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(queue ?? throw QueueError.NotFound($"Task queue {id} not found"));
    }

    private async Task<ApiReply> ListWorkersAsync(ApiRequest request)
    {
        request.CheckQuery([.. Paging.Query, "quarantined"]);
        var (token, limit) = Paging.Of(request);
        var after = token is null ? string.Empty : ContinuationToken.Decode(token);
        var quarantined = request.Context.Request.Query["quarantined"].ToString() switch
        {
            "" => (bool?)null,
            "true" => true,
            "false" => false,
            var other => throw QueueError.Arguments($"Query-string parameter: quarantined={Taskcluster.TaskclusterIdentifiers.Quote(other)} must be true or false"),
        };
        var queue = request["provisionerId"] + "/" + request["workerType"];
        var rows = await this.queue.Store.RunAsync((db, _) => db.ListWorkers(queue, after, limit + 1), request.Aborted).ConfigureAwait(false);
        var workers = rows.Take(limit)
            .Where(r => quarantined is null || quarantined == IsQuarantined(r.Worker, request.Now))
            .Select(r => WorkerJson(r.Worker));
        var result = new JObject { ["workers"] = new JArray(workers) };
        if (rows.Count > limit)
        {
            result["continuationToken"] = ContinuationToken.Encode(rows[limit - 1].Key);
        }

        return ApiReply.Json(result);
    }

    private static bool IsQuarantined(JObject worker, DateTimeOffset now) =>
        QueueJson.TryParseDate(worker["quarantineUntil"], out var until) && until > now;

    /// <summary>A worker as list-workers-response.json has it.</summary>
    private static JObject WorkerJson(JObject worker)
    {
        var json = new JObject { ["workerGroup"] = worker["workerGroup"], ["workerId"] = worker["workerId"], ["firstClaim"] = worker["firstClaim"] };
        foreach (var optional in new[] { "quarantineUntil", "latestTask", "lastDateActive" })
        {
            if (worker[optional] is { } value)
            {
                json[optional] = value;
            }
        }

        return json;
    }

    private static JObject TaskQueueJson(QueueDatabase db, string taskQueueId, DateTimeOffset now) => new()
    {
        ["taskQueueId"] = taskQueueId,
        ["stability"] = "experimental",
        ["description"] = string.Empty,
        ["expires"] = QueueJson.Date(now.AddDays(1)),
        ["lastDateActive"] = db.TaskQueueLastActive(taskQueueId) ?? QueueJson.Date(now),
    };
}
