using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Tests;

/// <summary>
/// What the dashboard calls beyond the worker's API: rerunTask, listTaskGroup, listTaskQueues and
/// listWorkers as the real queue has them, the local-only task list, the anonymous scopes, and the
/// dashboard's static files.
/// </summary>
public sealed class DashboardApiTests
{
    private static readonly HttpClient Http = new(new HttpClientHandler { AllowAutoRedirect = false });

    /// <summary>A signed call (anonymous when <paramref name="credentials"/> is null): status and JSON body.</summary>
    private static async Task<(HttpStatusCode Status, JObject Body)> CallAsync(QueueHarness h, string method, string path, TaskclusterCredentials? credentials, JObject? body = null)
    {
        var uri = new Uri(h.Server.RootUrl + path);
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
        }

        if (credentials is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(credentials, method, uri, DateTimeOffset.UtcNow));
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.StartsWith('{') ? JObject.Parse(text) : new JObject { ["text"] = text });
    }

    [Fact]
    public async Task RerunTask_gives_a_resolved_task_a_new_pending_run_and_its_retries_back_and_leaves_an_unresolved_one_alone()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync(t => t["retries"] = 2);

        var (status, body) = await CallAsync(h, "POST", $"/api/queue/v1/task/{taskId}/rerun", h.Server.RootCredentials);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single((JArray)body["status"]!["runs"]!);

        var claim = (await h.ClaimAsync()).Tasks.Single();
        await h.Root.Queue.ReportFailedAsync(taskId, claim.RunId);
        (status, body) = await CallAsync(h, "POST", $"/api/queue/v1/task/{taskId}/rerun", h.Server.RootCredentials);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("pending", (string?)body["status"]!["state"]);
        var runs = (JArray)body["status"]!["runs"]!;
        Assert.Equal(2, runs.Count);
        Assert.Equal("rerun", (string?)runs[1]["reasonCreated"]);
        Assert.Equal(2, (int)body["status"]!["retriesLeft"]!);
        Assert.Equal(1, (await h.ClaimAsync()).Tasks.Single().RunId);
    }

    [Fact]
    public async Task RerunTask_needs_a_rerun_scope_for_the_task()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        var other = await h.AddClientAsync("dash/other", "queue:rerun-task:-/someone-else/*");
        var allowed = await h.AddClientAsync("dash/allowed", "queue:rerun-task-in-project:none");

        var (status, body) = await CallAsync(h, "POST", $"/api/queue/v1/task/{taskId}/rerun", other.Credentials!);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("queue:rerun-task-in-project:none", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(h, "POST", $"/api/queue/v1/task/{taskId}/rerun", allowed.Credentials!)).Status);
    }

    [Fact]
    public async Task ListTaskGroup_lists_the_group_oldest_first_page_by_page_and_answers_404_for_an_unknown_group()
    {
        await using var h = await QueueHarness.StartAsync();
        var group = Slugid.Nice();
        var members = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(await h.CreateAsync(t => t["taskGroupId"] = group));
        }

        await h.CreateAsync();

        var (status, first) = await CallAsync(h, "GET", $"/api/queue/v1/task-group/{group}/list?limit=2", h.Server.RootCredentials);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(group, (string?)first["taskGroupId"]);
        var token = (string)first["continuationToken"]!;
        var (_, second) = await CallAsync(h, "GET", $"/api/queue/v1/task-group/{group}/list?limit=2&continuationToken={token}", h.Server.RootCredentials);
        var listed = first["tasks"]!.Concat(second["tasks"]!).Select(t => (string)t["status"]!["taskId"]!).ToList();
        Assert.Equal(members, listed);
        Assert.Null(second["continuationToken"]);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(h, "GET", $"/api/queue/v1/task-group/{Slugid.Nice()}/list", h.Server.RootCredentials)).Status);
    }

    [Fact]
    public async Task ListTaskQueues_and_listWorkers_show_who_claimed_what_and_when_each_was_last_seen()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        await h.ClaimAsync(workerId: "w7");

        var (_, queues) = await CallAsync(h, "GET", "/api/queue/v1/task-queues", h.Server.RootCredentials);
        Assert.Contains(QueueHarness.QueueId, queues["taskQueues"]!.Select(q => (string?)q["taskQueueId"]));
        var (provisioner, workerType) = (QueueHarness.QueueId.Split('/')[0], QueueHarness.QueueId.Split('/')[1]);
        var (status, workers) = await CallAsync(h, "GET", $"/api/queue/v1/provisioners/{provisioner}/worker-types/{workerType}/workers", h.Server.RootCredentials);

        Assert.Equal(HttpStatusCode.OK, status);
        var worker = Assert.Single((JArray)workers["workers"]!);
        Assert.Equal("wg", (string?)worker["workerGroup"]);
        Assert.Equal("w7", (string?)worker["workerId"]);
        Assert.Equal(taskId, (string?)worker["latestTask"]!["taskId"]);
        Assert.NotNull(worker["lastDateActive"]);
        Assert.NotNull(worker["firstClaim"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(h, "GET", $"/api/queue/v1/provisioners/{provisioner}/worker-types/{workerType}/workers", null)).Status);
    }

    [Fact]
    public async Task The_local_task_list_is_newest_first_filters_by_queue_state_and_group_and_needs_its_own_scope()
    {
        await using var h = await QueueHarness.StartAsync();
        var group = Slugid.Nice();
        var older = await h.CreateAsync(t => t["taskGroupId"] = group);
        var newer = await h.CreateAsync(t => t["taskGroupId"] = group);
        var elsewhere = await h.CreateAsync(t => t["taskQueueId"] = "other/queue");
        await h.Root.Queue.CancelTaskAsync(older);
        var lister = await h.AddClientAsync("dash/lister", "local-queue:list-tasks");

        async Task<List<string>> ListAsync(string query)
        {
            var (status, body) = await CallAsync(h, "GET", "/api/local/v1/tasks" + query, lister.Credentials!);
            Assert.Equal(HttpStatusCode.OK, status);
            return body["tasks"]!.Select(t => (string)t["status"]!["taskId"]!).ToList();
        }

        Assert.Equal([elsewhere, newer, older], await ListAsync(string.Empty));
        Assert.Equal([elsewhere], await ListAsync("?taskQueueId=other/queue"));
        Assert.Equal([older], await ListAsync("?state=exception"));
        Assert.Equal([newer, older], await ListAsync($"?taskGroupId={group}"));
        Assert.Equal([elsewhere], await ListAsync("?limit=1"));

        var (refused, error) = await CallAsync(h, "GET", "/api/local/v1/tasks", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("local-queue:list-tasks", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(h, "GET", "/api/local/v1/tasks?state=sleeping", lister.Credentials!)).Status);
    }

    [Fact]
    public async Task The_payload_schema_of_the_worker_config_is_served_with_its_own_scope_and_is_missing_without_a_config()
    {
        var schema = new JObject { ["type"] = "object", ["properties"] = new JObject { ["maxRunTime"] = new JObject { ["type"] = "integer" } } };
        await using var h = await QueueHarness.StartAsync(o => o with { PayloadSchema = schema.ToString() });
        var reader = await h.AddClientAsync("dash/schema", "local-queue:get-payload-schema");

        var (status, body) = await CallAsync(h, "GET", "/api/local/v1/payload-schema", reader.Credentials!);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(JToken.DeepEquals(schema, body["schema"]), body.ToString());
        var (refused, error) = await CallAsync(h, "GET", "/api/local/v1/payload-schema", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("local-queue:get-payload-schema", (string?)error["message"], StringComparison.Ordinal);

        await using var plain = await QueueHarness.StartAsync();
        var (missing, why) = await CallAsync(plain, "GET", "/api/local/v1/payload-schema", plain.Server.RootCredentials);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("without a worker config", (string?)why["message"], StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () => await QueueHarness.StartAsync(o => o with { PayloadSchema = "[1, 2" }));
    }

    [Fact]
    public async Task Anonymous_callers_get_the_configured_anonymous_scopes_only()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        var claim = (await h.ClaimAsync()).Tasks.Single();
        var worker = h.Client(claim.Credentials);
        foreach (var name in new[] { "public/a.txt", "private/b.txt" })
        {
            await worker.Queue.CreateArtifactAsync(taskId, claim.RunId, name, CreateArtifactRequest.Reference(DateTimeOffset.UtcNow.AddDays(1), "http://127.0.0.1:1/" + name));
        }

        Assert.Equal(HttpStatusCode.SeeOther, (await CallAsync(h, "GET", $"/api/queue/v1/task/{taskId}/runs/0/artifacts/public/a.txt", null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(h, "GET", $"/api/queue/v1/task/{taskId}/runs/0/artifacts/private/b.txt", null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(h, "GET", $"/api/queue/v1/task/{taskId}", null)).Status);

        await using var closed = await QueueHarness.StartAsync(o => o with { AnonymousScopes = ["queue:get-task:*"] });
        var other = await closed.CreateAsync();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(closed, "GET", $"/api/queue/v1/task/{other}", null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(closed, "GET", $"/api/queue/v1/task/{other}/status", null)).Status);
    }

    [Fact]
    public async Task The_dashboard_page_and_its_modules_are_served_without_credentials_under_a_strict_content_security_policy()
    {
        await using var h = await QueueHarness.StartAsync();

        using var page = await Http.GetAsync(h.Server.RootUrl + "/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        var html = await page.Content.ReadAsStringAsync();

        // The task list's code, bundled at build time, is in the page, and no stylesheet is fetched
        // before the list: the page's styles are in the page, the log viewer's come with the task page.
        // The policy allows that one script by its hash, and no other inline script.
        var script = Regex.Match(html, "<script type=\"module\">(.+?)</script>", RegexOptions.Singleline);
        Assert.True(script.Success, "the page carries no module of its own");
        Assert.Single(Regex.Matches(html, "<script", RegexOptions.IgnoreCase));
        Assert.Contains("tasks-painted", script.Groups[1].Value, StringComparison.Ordinal);
        var scriptSources = Regex.Match(policy, "(?:^|; )script-src ([^;]+)").Groups[1].Value;
        Assert.Equal($"'self' 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script.Groups[1].Value)))}'", scriptSources);
        Assert.DoesNotContain("rel=\"stylesheet\"", html, StringComparison.Ordinal);
        foreach (var module in new[] { "app.js", "api.js", "task.js", "create.js", "workers.js", "editor-libs.js", "log-viewer.js", "log-viewer.css" })
        {
            using var file = await Http.GetAsync(h.Server.RootUrl + "/ui/" + module);
            Assert.True(file.StatusCode == HttpStatusCode.OK, module);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(h.Server.RootUrl + "/ui/nothing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(h.Server.RootUrl + "/elsewhere")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Http.PostAsync(h.Server.RootUrl + "/", null)).StatusCode);
    }

    [Fact]
    public async Task A_dashboard_file_the_browser_already_has_is_revalidated_without_its_body()
    {
        await using var h = await QueueHarness.StartAsync();
        using var first = await Http.GetAsync(h.Server.RootUrl + "/ui/app.js");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(first.Headers.CacheControl?.NoCache);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, h.Server.RootUrl + "/ui/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var unchanged = await Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, unchanged.Headers.ETag);

        // Another file's tag is not this one's.
        using var viewer = await Http.GetAsync(h.Server.RootUrl + "/ui/log-viewer.js");
        using var other = new HttpRequestMessage(HttpMethod.Get, h.Server.RootUrl + "/ui/app.js");
        other.Headers.IfNoneMatch.Add(viewer.Headers.ETag!);
        using var changed = await Http.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal((await first.Content.ReadAsByteArrayAsync()).Length, (await changed.Content.ReadAsByteArrayAsync()).Length);
    }
}
