using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>createTask, task, status, cancelTask, rerunTask, reportCompleted/Failed/Exception, ping and version.</summary>
internal sealed class TaskApi
{
    private static readonly string[] ExceptionReasons = ["worker-shutdown", "malformed-payload", "resource-unavailable", "internal-error", "intermittent-task"];

    private static readonly ScopeExpression CreateTaskScopes = ScopeExpression.Parse("""
        {"AllOf": [{"each": "<scope>", "for": "scope", "in": "scopes"}, {"each": "queue:route:<route>", "for": "route", "in": "routes"},
          "queue:create-task:project:<projectId>", "queue:scheduler-id:<schedulerId>",
          {"AnyOf": [{"each": "queue:create-task:<priority>:<provisionerId>/<workerType>", "for": "priority", "in": "priorities"}]}]}
        """);

    private static readonly ScopeExpression CancelTaskScopes = ScopeExpression.Parse("""
        {"AnyOf": ["queue:cancel-task:<schedulerId>/<taskGroupId>/<taskId>", "queue:cancel-task-in-project:<projectId>",
          {"AllOf": ["queue:cancel-task", "assume:scheduler-id:<schedulerId>/<taskGroupId>"]}]}
        """);

    private static readonly ScopeExpression RerunTaskScopes = ScopeExpression.Parse("""
        {"AnyOf": ["queue:rerun-task:<schedulerId>/<taskGroupId>/<taskId>", "queue:rerun-task-in-project:<projectId>",
          {"AllOf": ["queue:rerun-task", "assume:scheduler-id:<schedulerId>/<taskGroupId>"]}]}
        """);

    private readonly QueueContext queue;

    public TaskApi(QueueContext queue) => this.queue = queue;

    public IEnumerable<Route> Routes()
    {
        var resolve = ScopeExpression.Single("queue:resolve-task:<taskId>/<runId>");
        foreach (var route in MonitoringRoutes.Create())
        {
            yield return route;
        }

        yield return new Route("PUT", "task/<taskId>", "createTask", CreateTaskScopes, CreateTaskAsync, handlerAuthorizes: true);
        yield return new Route("GET", "task/<taskId>", "task", ScopeExpression.Single("queue:get-task:<taskId>"), r => ReadAsync(r, t => t.Task));
        yield return new Route("GET", "task/<taskId>/status", "status", ScopeExpression.Single("queue:status:<taskId>"), r => ReadAsync(r, t => new JObject { ["status"] = t.Status }));
        yield return new Route("POST", "task/<taskId>/cancel", "cancelTask", CancelTaskScopes, r => ChangeAsync(r, queue.Tasks.Cancel), handlerAuthorizes: true);
        yield return new Route("POST", "task/<taskId>/rerun", "rerunTask", RerunTaskScopes, r => ChangeAsync(r, queue.Tasks.Rerun), handlerAuthorizes: true);
        yield return new Route("POST", "task/<taskId>/runs/<runId>/completed", "reportCompleted", resolve, r => ResolveAsync(r, "completed", "completed"));
        yield return new Route("POST", "task/<taskId>/runs/<runId>/failed", "reportFailed", resolve, r => ResolveAsync(r, "failed", "failed"));
        yield return new Route("POST", "task/<taskId>/runs/<runId>/exception", "reportException", resolve, ReportExceptionAsync);
    }

    private async Task<ApiReply> CreateTaskAsync(ApiRequest request)
    {
        var taskId = request["taskId"];
        TaskDefinition.CheckSlug("taskId", taskId);
        var task = TaskDefinition.Normalize(taskId, request.Object, request.Now);
        request.Authorize(new Dictionary<string, object>
        {
            ["scopes"] = task["scopes"]!.Values<string>().OfType<string>().ToArray(),
            ["routes"] = task["routes"]!.Values<string>().OfType<string>().ToArray(),
            ["projectId"] = (string)task["projectId"]!,
            ["schedulerId"] = (string)task["schedulerId"]!,
            ["provisionerId"] = (string)task["provisionerId"]!,
            ["workerType"] = (string)task["workerType"]!,
            ["priorities"] = TaskDefinition.AtOrAbove((string)task["priority"]!),
        });
        var status = await queue.Store.RunAsync((db, woken) => queue.Tasks.Create(db, woken, taskId, task, request.Now), request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject { ["status"] = status });
    }

    private async Task<ApiReply> ReadAsync(ApiRequest request, Func<TaskEntry, JToken> select)
    {
        var taskId = request["taskId"];
        var entry = await queue.Store.RunAsync((db, _) => db.GetTask(taskId), request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(select(entry ?? throw QueueError.NotFound($"Task {taskId} not found")));
    }

    /// <summary>cancelTask and rerunTask: authorised with the task's scheduler, group and project, then applied.</summary>
    private async Task<ApiReply> ChangeAsync(ApiRequest request, Func<QueueDatabase, ISet<string>, string, DateTimeOffset, JObject> change)
    {
        var taskId = request["taskId"];
        var entry = await queue.Store.RunAsync((db, _) => db.GetTask(taskId), request.Aborted).ConfigureAwait(false)
            ?? throw QueueError.NotFound($"Task {taskId} not found");
        request.Authorize(new Dictionary<string, object>
        {
            ["schedulerId"] = (string)entry.Task["schedulerId"]!,
            ["taskGroupId"] = (string)entry.Task["taskGroupId"]!,
            ["projectId"] = (string)entry.Task["projectId"]!,
        });
        var status = await queue.Store.RunAsync((db, woken) => change(db, woken, taskId, request.Now), request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject { ["status"] = status });
    }

    private Task<ApiReply> ReportExceptionAsync(ApiRequest request)
    {
        var reason = ApiRequest.RequiredString(request.Strict("reason"), "reason");
        return ExceptionReasons.Contains(reason)
            ? ResolveAsync(request, "exception", reason)
            : throw QueueError.Validation("Schema Validation Failed!\ndata/reason must be equal to one of the allowed values: " + string.Join(", ", ExceptionReasons));
    }

    private async Task<ApiReply> ResolveAsync(ApiRequest request, string state, string reason)
    {
        var taskId = request["taskId"];
        var runId = request.RunId;
        var status = await queue.Store.RunAsync((db, woken) => queue.Tasks.Resolve(db, woken, taskId, runId, state, reason, request.Now), request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject { ["status"] = status });
    }
}
