using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// The local-only API (<c>/api/local/v1/</c>): what the dashboard needs beyond Taskcluster's
/// queue, which has no call listing every task. Each route has a scope of its own under
/// <c>local-queue:</c>; a real deployment has none of these.
/// </summary>
internal sealed class LocalApi
{
    /// <summary>The tasks a page of the task list shows unless it asks for another count.</summary>
    private const int DefaultPage = 50;

    private readonly QueueContext queue;

    private readonly JObject? payloadSchema;

    public LocalApi(QueueContext queue)
    {
        this.queue = queue;
        payloadSchema = PayloadSchema(queue.Options.PayloadSchema);
    }

    public IEnumerable<Route> Routes()
    {
        foreach (var route in MonitoringRoutes.Create())
        {
            yield return route;
        }

        yield return new Route("GET", "tasks", "listTasks", ScopeExpression.Single("local-queue:list-tasks"), ListTasksAsync);
        yield return new Route("GET", "payload-schema", "getPayloadSchema", ScopeExpression.Single("local-queue:get-payload-schema"), GetPayloadSchemaAsync);
    }

    /// <summary>Every task, newest first, filtered by <c>taskQueueId</c>, <c>state</c> and <c>taskGroupId</c>; 50 a page unless <c>limit</c> says.</summary>
    private async Task<ApiReply> ListTasksAsync(ApiRequest request)
    {
        request.CheckQuery([.. Paging.Query, "taskQueueId", "state", "taskGroupId"]);
        var query = request.Context.Request.Query;
        string? Filter(string name) => query[name].ToString() is { Length: > 0 } value ? value : null;
        var state = Filter("state");
        if (state is not null and not ("unscheduled" or "pending" or "running" or "completed" or "failed" or "exception"))
        {
            throw QueueError.Arguments($"Query-string parameter: state={Taskcluster.TaskclusterIdentifiers.Quote(state)} must be unscheduled, pending, running, completed, failed or exception");
        }

        JObject page = await ListingApi.TaskPageAsync(queue, request, new TaskFilter(Filter("taskQueueId"), state, Filter("taskGroupId")), DefaultPage, oldestFirst: false).ConfigureAwait(false);
        return ApiReply.Json(page);
    }

    /// <summary>The payload schema of the queue's worker config, <c>{schema}</c>; 404 when the queue has none.</summary>
    private Task<ApiReply> GetPayloadSchemaAsync(ApiRequest request)
    {
        request.CheckQuery([]);
        return payloadSchema is null
            ? throw QueueError.NotFound("The queue was started without a worker config, so it has no payload schema (tc-worker queue serve --config FILE)")
            : Task.FromResult(ApiReply.Json(new JObject { ["schema"] = payloadSchema }));
    }

    private static JObject? PayloadSchema(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return JObject.Parse(text);
        }
        catch (Newtonsoft.Json.JsonReaderException e)
        {
            throw new ArgumentException($"{nameof(LocalQueueOptions)}.{nameof(LocalQueueOptions.PayloadSchema)} is not a JSON object: {e.Message}", nameof(text), e);
        }
    }
}
