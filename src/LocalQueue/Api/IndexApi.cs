using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Index;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// The index service (<c>/api/index/v1/</c>): findTask, insertTask, deleteTask, listNamespaces and
/// listTasks (GET, and the deprecated POST forms), findArtifactFromTask, ping and version.
/// </summary>
internal sealed class IndexApi
{
    private static readonly TimeSpan SignedUrlLifetime = TimeSpan.FromMinutes(15);
    private readonly QueueContext queue;

    public IndexApi(QueueContext queue) => this.queue = queue;

    public IEnumerable<Route> Routes()
    {
        foreach (var route in MonitoringRoutes.Create())
        {
            yield return route;
        }

        var listNamespaces = ScopeExpression.Single("index:list-namespaces:<namespace>");
        var listTasks = ScopeExpression.Single("index:list-tasks:<namespace>");
        yield return new Route("GET", "task/<indexPath>", "findTask", ScopeExpression.Single("index:find-task:<indexPath>"), FindTaskAsync);
        yield return new Route("PUT", "task/<namespace>", "insertTask", ScopeExpression.Single("index:insert-task:<namespace>"), InsertTaskAsync);
        yield return new Route("DELETE", "task/<namespace>", "deleteTask", ScopeExpression.Single("index:delete-task:<namespace>"), DeleteTaskAsync);
        yield return new Route("GET", "task/<indexPath>/artifacts/<*name>", "findArtifactFromTask", ScopeExpression.Single("queue:get-artifact:<name>"), FindArtifactAsync);
        yield return new Route("GET", "namespaces/<namespace?>", "listNamespaces", listNamespaces, ListNamespacesAsync);
        yield return new Route("POST", "namespaces/<namespace?>", "listNamespacesPost", listNamespaces, ListNamespacesAsync);
        yield return new Route("GET", "tasks/<namespace?>", "listTasks", listTasks, ListTasksAsync);
        yield return new Route("POST", "tasks/<namespace?>", "listTasksPost", listTasks, ListTasksAsync);
    }

    private async Task<ApiReply> FindTaskAsync(ApiRequest request)
    {
        var path = TaskIndex.CheckParameter(request, "indexPath");
        request.CheckQuery();
        return ApiReply.Json(TaskIndex.ToJson(await FindAsync(request, path).ConfigureAwait(false)));
    }

    private async Task<ApiReply> InsertTaskAsync(ApiRequest request)
    {
        var path = TaskIndex.CheckParameter(request, "namespace");
        request.CheckQuery();
        var body = request.Strict("taskId", "rank", "data", "expires");
        var taskId = ApiRequest.RequiredString(body, "taskId");
        TaskDefinition.CheckSlug("taskId", taskId);
        var rank = (body["rank"] is { } r ? TaskIndex.Number(r) : null)
            ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'rank' (a number)");
        var data = body["data"] as JObject ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'data' (an object)");
        var expires = ApiRequest.RequiredDate(body, "expires");
        var row = await queue.Store.RunAsync((db, _) => TaskIndex.Insert(db, path, taskId, rank, data, expires, request.Now), request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(TaskIndex.ToJson(row));
    }

    private async Task<ApiReply> DeleteTaskAsync(ApiRequest request)
    {
        var (ns, name) = TaskIndex.Split(TaskIndex.CheckParameter(request, "namespace"));
        request.CheckQuery();
        await queue.Store.RunAsync((db, _) =>
        {
            db.DeleteIndexedTask(ns, name);
            return true;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject());
    }

    /// <summary>
    /// A 303 to the queue's getLatestArtifact of the indexed task: unsigned when anonymous callers
    /// may read everything (<see cref="LocalQueueOptions.AllowAnonymous"/>), else signed for 15
    /// minutes with credentials that may read only that artifact, as the real index signs it.
    /// </summary>
    private async Task<ApiReply> FindArtifactAsync(ApiRequest request)
    {
        var path = TaskIndex.CheckParameter(request, "indexPath");
        var name = request["name"];
        ArtifactName.CheckParameter(name);
        request.CheckQuery();
        var task = await FindAsync(request, path).ConfigureAwait(false);
        var url = TaskclusterUrl.Api(queue.RootUrl, "queue", $"/task/{TaskclusterUrl.Escape(task.TaskId)}/artifacts/{TaskclusterUrl.Escape(name)}");
        if (!queue.Options.AllowAnonymous)
        {
            var expires = request.Now + SignedUrlLifetime;
            var reader = queue.Root.CreateTemporary([$"queue:get-artifact:{name}"], request.Now - TimeSpan.FromMinutes(5), expires);
            url = HawkSigner.CreateBewitUri(reader, url, expires);
        }

        return new ApiReply(303, Location: url.OriginalString);
    }

    private Task<ApiReply> ListNamespacesAsync(ApiRequest request) =>
        ListAsync(request, (db, ns, after, limit) => db.ListIndexNamespaces(ns, after, limit, request.Now), row => row.Name, TaskIndex.ToJson, "namespaces");

    private Task<ApiReply> ListTasksAsync(ApiRequest request) =>
        ListAsync(request, (db, ns, after, limit) => db.ListIndexedTasks(ns, after, limit, request.Now), row => row.Name, TaskIndex.ToJson, "tasks");

    /// <summary>One page of a listing: at most <c>limit</c> (1000) items after the continuationToken's, and a token when more follow.</summary>
    private async Task<ApiReply> ListAsync<T>(ApiRequest request, Func<QueueDatabase, string, string, int, List<T>> list, Func<T, string> key, Func<T, JObject> json, string property)
    {
        var ns = TaskIndex.CheckParameter(request, "namespace", allowRoot: true);
        request.CheckQuery(Paging.Query);
        var (token, limit) = Paging.Of(request);
        var after = token is null ? string.Empty : ContinuationToken.Decode(token);
        var rows = await queue.Store.RunAsync((db, _) => list(db, ns, after, limit + 1), request.Aborted).ConfigureAwait(false);
        var result = new JObject { [property] = new JArray(rows.Take(limit).Select(json)) };
        if (rows.Count > limit)
        {
            result["continuationToken"] = ContinuationToken.Encode(key(rows[limit - 1]));
        }

        return ApiReply.Json(result);
    }

    private async Task<IndexedTaskRow> FindAsync(ApiRequest request, string path)
    {
        var (ns, name) = TaskIndex.Split(path);
        var row = await queue.Store.RunAsync((db, _) => db.GetIndexedTask(ns, name), request.Aborted).ConfigureAwait(false);
        return row is not null && row.Expires > request.Now ? row : throw QueueError.NotFound("Indexed task not found");
    }
}
