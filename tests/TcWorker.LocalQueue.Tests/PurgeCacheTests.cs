using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The purge-cache service of the local queue: purge requests per worker pool, the since filter, scopes and the official shapes.</summary>
public sealed class PurgeCacheTests
{
    [SkippableFact]
    public async Task Purge_requests_are_listed_per_worker_pool_and_filtered_by_since_in_the_official_shape()
    {
        await using var h = await QueueHarness.StartAsync();
        var purge = h.Root.PurgeCache;
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        await purge.PurgeCacheAsync("prov/wt", "cargo");
        await purge.PurgeCacheAsync("prov/other", "cargo");

        var listed = await h.Root.CallAsync<JObject>(HttpMethod.Get, "purge-cache", "/purge-cache/prov%2Fwt", null);
        await Schemas.AssertValidAsync("purge-cache/v1/purge-cache-request-list.json", listed);
        var only = Assert.Single(listed["requests"]!);
        Assert.Equal(("prov", "wt", "cargo"), ((string)only["provisionerId"]!, (string)only["workerType"]!, (string)only["cacheName"]!));
        var before = (await purge.PurgeRequestsAsync("prov/wt")).Requests.Single().Before;
        Assert.InRange(before, start, DateTimeOffset.UtcNow.AddSeconds(1));

        Assert.Single((await purge.PurgeRequestsAsync("prov/wt", before)).Requests);
        Assert.Empty((await purge.PurgeRequestsAsync("prov/wt", before.AddMilliseconds(1))).Requests);

        // a second purge of the same name moves its time, and it is listed again after the first
        await Task.Delay(20);
        await purge.PurgeCacheAsync("prov/wt", "cargo");
        var again = Assert.Single((await purge.PurgeRequestsAsync("prov/wt", before.AddMilliseconds(1))).Requests);
        Assert.True(again.Before > before);

        var all = await h.Root.CallAsync<JObject>(HttpMethod.Get, "purge-cache", "/purge-cache/list?limit=1", null);
        await Schemas.AssertValidAsync("purge-cache/v1/all-purge-cache-request-list.json", all);
        var second = await purge.AllPurgeRequestsAsync((string)all["continuationToken"]!);
        Assert.Equal(["prov/other", "prov/wt"], [$"{all["requests"]![0]!["provisionerId"]}/{all["requests"]![0]!["workerType"]}", .. second.Requests.Select(r => $"{r.ProvisionerId}/{r.WorkerType}")]);
        Assert.Null(second.ContinuationToken);

        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments",
            () => h.Root.CallAsync(HttpMethod.Get, "purge-cache", "/purge-cache/prov%2Fwt?since=yesterday", null));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError", () => purge.PurgeCacheAsync("no-slash", "cargo"));
    }

    [SkippableFact]
    public async Task Each_endpoint_asks_for_its_official_scope()
    {
        await using var h = await QueueHarness.StartAsync();
        var narrow = (await h.AddClientAsync("purger", "purge-cache:prov/wt:cargo", "purge-cache:purge-requests::prov/wt")).PurgeCache;
        await narrow.PurgeCacheAsync("prov/wt", "cargo");
        Assert.Single((await narrow.PurgeRequestsAsync("prov/wt")).Requests);

        var denied = await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => narrow.PurgeCacheAsync("prov/wt", "npm"));
        Assert.Contains("purge-cache:prov/wt:npm", denied.Message, StringComparison.Ordinal);
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => narrow.PurgeCacheAsync("prov/other", "cargo"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => narrow.PurgeRequestsAsync("prov/other"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => narrow.AllPurgeRequestsAsync());
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => narrow.WithCredentials(null).PurgeCacheAsync("prov/wt", "cargo"));
    }
}
