using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// The purge-cache service (<c>/api/purge-cache/v1/</c>): purgeCache, purgeRequests, allPurgeRequests,
/// ping and version. Requests are kept in memory for the server's life: one per worker pool and cache
/// name, whose <c>before</c> moves to the time of the latest purgeCache.
/// </summary>
internal sealed partial class PurgeCacheApi
{
    private readonly Lock gate = new();
    private readonly SortedDictionary<string, (string Pool, string Cache, DateTimeOffset Before)> requests = new(StringComparer.Ordinal);

    public IEnumerable<Route> Routes()
    {
        foreach (var route in MonitoringRoutes.Create())
        {
            yield return route;
        }

        // list first: it would otherwise match <workerPoolId>
        yield return new Route("GET", "purge-cache/list", "allPurgeRequests", ScopeExpression.Single("purge-cache:all-purge-requests"), AllAsync);
        yield return new Route("POST", "purge-cache/<workerPoolId>", "purgeCache", ScopeExpression.Single("purge-cache:<workerPoolId>:<cacheName>"), PurgeAsync, handlerAuthorizes: true);
        yield return new Route("GET", "purge-cache/<workerPoolId>", "purgeRequests", ScopeExpression.Single("purge-cache:purge-requests::<workerPoolId>"), RequestsAsync);
    }

    private Task<ApiReply> PurgeAsync(ApiRequest request)
    {
        var pool = CheckPool(request);
        request.CheckQuery();
        var cacheName = ApiRequest.RequiredString(request.Strict("cacheName"), "cacheName");
        request.Authorize(new Dictionary<string, object> { ["cacheName"] = cacheName });
        lock (gate)
        {
            // to the millisecond, as listed: a since copied from a listed before then matches it
            var now = DateTimeOffset.FromUnixTimeMilliseconds(request.Now.ToUnixTimeMilliseconds());
            requests[Key(pool, cacheName)] = (pool, cacheName, now);
        }

        return Task.FromResult(ApiReply.Json(new JObject()));
    }

    private Task<ApiReply> RequestsAsync(ApiRequest request)
    {
        var pool = CheckPool(request);
        request.CheckQuery("since");
        var since = DateTimeOffset.MinValue;
        if (request.Context.Request.Query["since"].ToString() is { Length: > 0 } text
            && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since))
        {
            throw QueueError.Arguments($"Query-string parameter: since={Taskcluster.TaskclusterIdentifiers.Quote(text)} must be a date-time, such as 2026-01-31T12:00:00.000Z");
        }

        lock (gate)
        {
            var requests = this.requests.Values.Where(r => r.Pool == pool && r.Before >= since).Select(ToJson);
            return Task.FromResult(ApiReply.Json(new JObject { ["requests"] = new JArray(requests) }));
        }
    }

    private Task<ApiReply> AllAsync(ApiRequest request)
    {
        request.CheckQuery(Paging.Query);
        var (token, limit) = Paging.Of(request);
        var after = token is null ? null : ContinuationToken.Decode(token);
        lock (gate)
        {
            var rows = requests.Where(r => after is null || string.CompareOrdinal(r.Key, after) > 0).Take(limit + 1).ToList();
            var result = new JObject { ["requests"] = new JArray(rows.Take(limit).Select(r => ToJson(r.Value))) };
            if (rows.Count > limit)
            {
                result["continuationToken"] = ContinuationToken.Encode(rows[limit - 1].Key);
            }

            return Task.FromResult(ApiReply.Json(result));
        }
    }

    /// <summary>The workerPoolId parameter: <c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>, each 1 to 38 of <c>[a-zA-Z0-9-_]</c>.</summary>
    private static string CheckPool(ApiRequest request)
    {
        var pool = request["workerPoolId"];
        return PoolPattern().IsMatch(pool)
            ? pool
            : throw QueueError.Validation($"workerPoolId {Taskcluster.TaskclusterIdentifiers.Quote(pool)} must be <provisionerId>/<workerType>, each 1 to 38 of a-z, A-Z, 0-9, - and _");
    }

    private static string Key(string pool, string cache) => pool + "\n" + cache;

    private static JObject ToJson((string Pool, string Cache, DateTimeOffset Before) request)
    {
        var (provisionerId, workerType) = (request.Pool.Split('/')[0], request.Pool.Split('/')[1]);
        return new JObject
        {
            ["provisionerId"] = provisionerId,
            ["workerType"] = workerType,
            ["cacheName"] = request.Cache,
            ["before"] = QueueJson.Date(request.Before),
        };
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,38}/[a-zA-Z0-9_-]{1,38}$")]
    private static partial Regex PoolPattern();
}
