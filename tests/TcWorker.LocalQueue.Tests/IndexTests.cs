using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The index service of the local queue: ranks, expiry, listings, indexing on completion, scopes and redirects.</summary>
public sealed class IndexTests
{
    private const string Api = "/api/index/v1";

    [SkippableFact]
    public async Task An_equal_or_higher_rank_replaces_the_indexed_task_and_a_lower_one_does_not()
    {
        await using var h = await QueueHarness.StartAsync();
        var index = h.Root.Index;
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var (first, second, third) = (Slugid.Nice(), Slugid.Nice(), Slugid.Nice());

        var inserted = await index.InsertTaskAsync("proj.app.latest", Entry(first, 5, expires, new JObject { ["rev"] = "a" }));
        Assert.Equal(("proj.app.latest", first, 5d), (inserted.Namespace, inserted.TaskId, inserted.Rank));
        var found = await h.Root.CallAsync<JObject>(HttpMethod.Get, "index", "/task/proj.app.latest", null);
        await Schemas.AssertValidAsync("index/v1/indexed-task-response.json", found);
        Assert.Equal(JTokenType.Integer, found["rank"]!.Type);
        Assert.Equal("a", (string)found["data"]!["rev"]!);
        Assert.Equal(expires.ToUnixTimeMilliseconds(), DateTimeOffset.Parse((string)found["expires"]!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());

        var lower = await index.InsertTaskAsync("proj.app.latest", Entry(second, 4, expires));
        Assert.Equal(first, lower.TaskId);
        Assert.Equal(first, (await index.FindTaskAsync("proj.app.latest")).TaskId);

        Assert.Equal(second, (await index.InsertTaskAsync("proj.app.latest", Entry(second, 5, expires))).TaskId);
        Assert.Equal(second, (await index.FindTaskAsync("proj.app.latest")).TaskId);
        await index.InsertTaskAsync("proj.app.latest", Entry(third, 5.5, expires));
        Assert.Equal((third, 5.5), ((await index.FindTaskAsync("proj.app.latest")).TaskId, (await index.FindTaskAsync("proj.app.latest")).Rank));

        await index.DeleteTaskAsync("proj.app.latest");
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => index.FindTaskAsync("proj.app.latest"));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => index.FindTaskAsync("proj.app.never"));
    }

    [Fact]
    public async Task An_expired_entry_is_neither_found_nor_listed_and_any_rank_replaces_it()
    {
        await using var h = await QueueHarness.StartAsync();
        var index = h.Root.Index;
        var gone = Slugid.Nice();
        Assert.Equal(gone, (await index.InsertTaskAsync("old.gone", Entry(gone, 10, DateTimeOffset.UtcNow.AddMinutes(-1)))).TaskId);
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => index.FindTaskAsync("old.gone"));
        Assert.Empty((await index.ListTasksAsync("old")).Tasks);

        var fresh = Slugid.Nice();
        Assert.Equal(fresh, (await index.InsertTaskAsync("old.gone", Entry(fresh, 1, DateTimeOffset.UtcNow.AddDays(1)))).TaskId);
        Assert.Equal(fresh, (await index.FindTaskAsync("old.gone")).TaskId);
    }

    [SkippableFact]
    public async Task Namespaces_and_tasks_are_listed_a_page_at_a_time()
    {
        await using var h = await QueueHarness.StartAsync();
        var index = h.Root.Index;
        var expires = DateTimeOffset.UtcNow.AddDays(3);
        foreach (var path in new[] { "list.a.t3", "list.a.t1", "list.a.t2", "list.b.x", "list.c.y.z", "top" })
        {
            await index.InsertTaskAsync(path, Entry(Slugid.Nice(), 0, expires));
        }

        var root = await index.ListNamespacesAsync(string.Empty);
        Assert.Equal(["list"], root.Namespaces.Select(n => n.Namespace));
        Assert.Equal(new DateTimeOffset(expires.UtcDateTime.Date.AddDays(1), TimeSpan.Zero), root.Namespaces[0].Expires);
        Assert.Equal(["top"], (await index.ListTasksAsync(string.Empty)).Tasks.Select(t => t.Namespace));

        var page = await h.Root.CallAsync<JObject>(HttpMethod.Get, "index", "/namespaces/list?limit=2", null);
        await Schemas.AssertValidAsync("index/v1/list-namespaces-response.json", page);
        Assert.Equal(["list.a", "list.b"], page["namespaces"]!.Select(n => (string)n["namespace"]!));
        Assert.Equal(["a", "b"], page["namespaces"]!.Select(n => (string)n["name"]!));
        var rest = await index.ListNamespacesAsync("list", (string)page["continuationToken"]!, 2);
        Assert.Equal(["list.c"], rest.Namespaces.Select(n => n.Namespace));
        Assert.Null(rest.ContinuationToken);
        Assert.Equal(["list.c.y"], (await index.ListNamespacesAsync("list.c")).Namespaces.Select(n => n.Namespace));

        var tasks = await h.Root.CallAsync<JObject>(HttpMethod.Get, "index", "/tasks/list.a?limit=2", null);
        await Schemas.AssertValidAsync("index/v1/list-tasks-response.json", tasks);
        Assert.Equal(["list.a.t1", "list.a.t2"], tasks["tasks"]!.Select(t => (string)t["namespace"]!));
        Assert.Equal(["list.a.t3"], (await index.ListTasksAsync("list.a", (string)tasks["continuationToken"]!)).Tasks.Select(t => t.Namespace));

        // the deprecated POST forms, with paging in the body as older clients sent it, and the root without a trailing slash
        var posted = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "POST", $"{Api}/namespaces/list", """{"limit": 1}""");
        Assert.Equal(HttpStatusCode.OK, posted.Status);
        Assert.Equal(["list.a"], posted.Body!["namespaces"]!.Select(n => (string)n["namespace"]!));
        Assert.NotNull(posted.Body["continuationToken"]);
        var postedTasks = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "POST", $"{Api}/tasks/list.a");
        Assert.Equal(3, postedTasks.Body!["tasks"]!.Count());
        var bare = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "GET", $"{Api}/namespaces");
        Assert.Equal(["list"], bare.Body!["namespaces"]!.Select(n => (string)n["namespace"]!));
    }

    [Fact]
    public async Task A_completed_task_is_indexed_under_each_of_its_index_routes()
    {
        await using var h = await QueueHarness.StartAsync();
        var routes = new JArray("index.done.latest", "index.done.rev-1", "index.bad..path", "notify.email.x");
        var completed = await RunAsync(h, "completed", t =>
        {
            t["routes"] = routes;
            t["extra"] = new JObject { ["index"] = new JObject { ["rank"] = 3, ["data"] = new JObject { ["rev"] = "1" } } };
        });
        var definition = await h.Root.Queue.TaskAsync(completed);
        var latest = await h.Root.Index.FindTaskAsync("done.latest");
        Assert.Equal((completed, 3d, "1"), (latest.TaskId, latest.Rank, (string?)latest.Data["rev"]));
        Assert.Equal(DateTimeOffset.Parse((string)definition["expires"]!, System.Globalization.CultureInfo.InvariantCulture), latest.Expires);
        Assert.Equal(completed, (await h.Root.Index.FindTaskAsync("done.rev-1")).TaskId);
        Assert.Equal(["done.latest", "done.rev-1"], (await h.Root.Index.ListTasksAsync("done")).Tasks.Select(t => t.Namespace));
        Assert.Equal(["done"], (await h.Root.Index.ListNamespacesAsync(string.Empty)).Namespaces.Select(n => n.Namespace));

        // failed, exception and a rank that is not a number: not indexed, though their ranks are higher
        var higher = new JObject { ["index"] = new JObject { ["rank"] = 9 } };
        await RunAsync(h, "failed", t => (t["routes"], t["extra"]) = (routes, higher));
        await RunAsync(h, "exception", t => (t["routes"], t["extra"]) = (routes, higher));
        await RunAsync(h, "completed", t => (t["routes"], t["extra"]) = (routes, new JObject { ["index"] = new JObject { ["rank"] = "high" } }));
        Assert.Equal(completed, (await h.Root.Index.FindTaskAsync("done.latest")).TaskId);

        // the defaults: rank 0, data {}, the task's expires; or expires from extra.index
        var plain = await RunAsync(h, "completed", t => t["routes"] = new JArray("index.done.plain"));
        var entry = await h.Root.Index.FindTaskAsync("done.plain");
        Assert.Equal((plain, 0d, 0), (entry.TaskId, entry.Rank, entry.Data.Count));
        var until = DateTimeOffset.UtcNow.AddDays(2);
        await RunAsync(h, "completed", t => (t["routes"], t["extra"]) = (new JArray("index.done.until"), new JObject { ["index"] = new JObject { ["expires"] = until.ToString("O") } }));
        Assert.Equal(until.ToUnixTimeMilliseconds(), (await h.Root.Index.FindTaskAsync("done.until")).Expires.ToUnixTimeMilliseconds());

        // extremes beyond 64 bits and at the end of the calendar still complete, and are indexed
        await RunAsync(h, "completed", t => (t["routes"], t["extra"]) = (new JArray("index.done.far"),
            new JObject { ["index"] = new JObject { ["rank"] = JToken.Parse("100000000000000000000000000000"), ["expires"] = "9999-12-31T23:59:59.000Z" } }));
        var far = await h.Root.Index.FindTaskAsync("done.far");
        Assert.Equal((1e29, 9999), (far.Rank, far.Expires.Year));
    }

    [Fact]
    public async Task Index_calls_need_index_scopes_and_index_routes_need_queue_route_scopes()
    {
        // Without the anonymous role's scopes (index:find-task:* by default): each client's own are checked.
        await using var h = await QueueHarness.StartAsync(o => o with { AnonymousScopes = [] });
        var writerCredentials = (await h.AddClientAsync("index/writer", "index:insert-task:proj.*", "queue:route:index.proj.*",
            "queue:create-task:project:none", "queue:scheduler-id:-", $"queue:create-task:lowest:{QueueHarness.QueueId}")).Credentials;
        var reader = await h.AddClientAsync("index/reader", "index:find-task:proj.*", "index:list-tasks:proj", "index:list-namespaces:");
        var writer = h.Client(writerCredentials);
        var expires = DateTimeOffset.UtcNow.AddDays(1);

        await writer.Index.InsertTaskAsync("proj.x", Entry(Slugid.Nice(), 0, expires));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => writer.Index.InsertTaskAsync("other.x", Entry(Slugid.Nice(), 0, expires)));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => reader.Index.InsertTaskAsync("proj.y", Entry(Slugid.Nice(), 0, expires)));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => reader.Index.DeleteTaskAsync("proj.x"));
        Assert.Equal("proj.x", (await reader.Index.FindTaskAsync("proj.x")).Namespace);
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => reader.Index.FindTaskAsync("other.x"));
        Assert.Single((await reader.Index.ListTasksAsync("proj")).Tasks);
        Assert.Single((await reader.Index.ListNamespacesAsync(string.Empty)).Namespaces);
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => reader.Index.ListTasksAsync("other"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => reader.Index.ListNamespacesAsync("proj"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.Client(null).Index.FindTaskAsync("proj.x"));

        await writer.Queue.CreateTaskAsync(Slugid.Nice(), QueueHarness.Task(t => t["routes"] = new JArray("index.proj.built")));
        var e = await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes",
            () => writer.Queue.CreateTaskAsync(Slugid.Nice(), QueueHarness.Task(t => t["routes"] = new JArray("index.other.built"))));
        Assert.Contains("queue:route:index.other.built", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindArtifactFromTask_redirects_to_the_latest_artifact_of_the_indexed_task()
    {
        // Without the anonymous role's scopes (queue:get-artifact:public/* by default): each client's own are checked.
        await using var h = await QueueHarness.StartAsync(o => o with { AnonymousScopes = [] });
        var taskId = await h.CreateAsync(t => t["routes"] = new JArray("index.art.latest"));
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        var queue = h.Client(claim.Credentials).Queue;
        await new ArtifactUploader(queue).UploadS3Async(taskId, 0, "public/hello.txt", "text/plain", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("hello"))));
        await queue.ReportCompletedAsync(taskId, 0);

        using var manual = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using (var redirect = await manual.GetAsync(h.Root.Index.BuildArtifactUrl("art.latest", "public/hello.txt", TimeSpan.FromMinutes(5))))
        {
            Assert.Equal(HttpStatusCode.SeeOther, redirect.StatusCode);
            Assert.StartsWith($"{h.Server.RootUrl}/api/queue/v1/task/{taskId}/artifacts/public%2Fhello.txt?bewit=", redirect.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var follow = new HttpClient();
        Assert.Equal("hello", await follow.GetStringAsync(h.Root.Index.BuildArtifactUrl("art.latest", "public/hello.txt", TimeSpan.FromMinutes(5))));
        var publicReader = await h.AddClientAsync("public/reader", "queue:get-artifact:public/*");
        Assert.Equal("hello", await follow.GetStringAsync(publicReader.Index.BuildArtifactUrl("art.latest", "public/hello.txt", TimeSpan.FromMinutes(5))));

        var nobody = h.Client(new TaskclusterCredentials("nobody", QueueHarness.WorkerClientToken));
        using (var refused = await manual.GetAsync(nobody.Index.BuildArtifactUrl("art.latest", "public/hello.txt", TimeSpan.FromMinutes(5))))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "GET", $"{Api}/task/art.other/artifacts/public/hello.txt")).Status);
        var nonAscii = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "GET", $"{Api}/task/art.latest/artifacts/public/%C3%BC.txt");
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequestArguments"), (nonAscii.Status, (string?)nonAscii.Body!["code"]));
    }

    [Fact]
    public async Task With_anonymous_access_findArtifactFromTask_redirects_to_an_unsigned_url()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { AllowAnonymous = true });
        var taskId = Slugid.Nice();
        await h.Root.Index.InsertTaskAsync("anon.latest", Entry(taskId, 0, DateTimeOffset.UtcNow.AddDays(1)));
        using var manual = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var redirect = await manual.GetAsync($"{h.Server.RootUrl}{Api}/task/anon.latest/artifacts/public/a.txt");
        Assert.Equal(HttpStatusCode.SeeOther, redirect.StatusCode);
        Assert.Equal($"{h.Server.RootUrl}/api/queue/v1/task/{taskId}/artifacts/public%2Fa.txt", redirect.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a%2Fb")]
    [InlineData("a%20b")]
    [InlineData("a%3Fb")]
    public async Task A_bad_index_path_is_InvalidRequestArguments_on_every_route(string rawPath)
    {
        await using var h = await QueueHarness.StartAsync();
        var body = new JObject { ["taskId"] = Slugid.Nice(), ["rank"] = 0, ["data"] = new JObject(), ["expires"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O") }.ToString();
        foreach (var (method, path, content) in new[]
        {
            ("GET", $"task/{rawPath}", null), ("PUT", $"task/{rawPath}", body), ("DELETE", $"task/{rawPath}", null), ("GET", $"task/{rawPath}/artifacts/public/x", null),
            ("GET", $"namespaces/{rawPath}", null), ("POST", $"namespaces/{rawPath}", null), ("GET", $"tasks/{rawPath}", null), ("POST", $"tasks/{rawPath}", null),
        })
        {
            var (status, error) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, method, $"{Api}/{path}", content);
            Assert.True(status == HttpStatusCode.BadRequest && (string?)error?["code"] == "InvalidRequestArguments", $"{method} {path}: {(int)status} {error}");
        }
    }

    [Fact]
    public async Task Paths_of_up_to_255_characters_are_indexed_and_longer_ones_refused()
    {
        await using var h = await QueueHarness.StartAsync();
        var longest = string.Join('.', Enumerable.Repeat(new string('k', 50), 4)) + "." + new string('z', 51);
        Assert.Equal(255, longest.Length);
        await h.Root.Index.InsertTaskAsync(longest, Entry(Slugid.Nice(), 0, DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal(longest, (await h.Root.Index.FindTaskAsync(longest)).Namespace);
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments", () => h.Root.Index.InsertTaskAsync(longest + "e", Entry(Slugid.Nice(), 0, DateTimeOffset.UtcNow.AddDays(1))));
    }

    public static TheoryData<string, string, string, string?, string> BadRequests => new()
    {
        { "rank not a number", "PUT", "task/a.b", """{"taskId": "{id}", "rank": "1", "data": {}, "expires": "{expires}"}""", "InputValidationError" },
        { "no data", "PUT", "task/a.b", """{"taskId": "{id}", "rank": 1, "expires": "{expires}"}""", "InputValidationError" },
        { "data an array", "PUT", "task/a.b", """{"taskId": "{id}", "rank": 1, "data": [], "expires": "{expires}"}""", "InputValidationError" },
        { "extra property", "PUT", "task/a.b", """{"taskId": "{id}", "rank": 1, "data": {}, "expires": "{expires}", "x": 1}""", "InputValidationError" },
        { "bad taskId", "PUT", "task/a.b", """{"taskId": "nope", "rank": 1, "data": {}, "expires": "{expires}"}""", "InputValidationError" },
        { "bad expires", "PUT", "task/a.b", """{"taskId": "{id}", "rank": 1, "data": {}, "expires": "tomorrow"}""", "InputValidationError" },
        { "not json", "PUT", "task/a.b", "{", "MalformedPayload" },
        { "limit 0", "GET", "tasks/a?limit=0", null, "InvalidRequestArguments" },
        { "limit not a number", "GET", "namespaces/a?limit=ten", null, "InvalidRequestArguments" },
        { "unknown query", "GET", "task/a.b?x=1", null, "InvalidRequestArguments" },
        { "foreign token", "GET", "tasks/a?continuationToken=***", null, "InputError" },
        { "body limit 0", "POST", "namespaces/a", """{"limit": 0}""", "InputValidationError" },
        { "body extra", "POST", "tasks/a", """{"x": 1}""", "InputValidationError" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_bodies_and_queries_get_400_with_the_official_codes(string why, string method, string path, string? body, string code)
    {
        await using var h = await QueueHarness.StartAsync();
        body = body?.Replace("{id}", Slugid.Nice(), StringComparison.Ordinal).Replace("{expires}", DateTimeOffset.UtcNow.AddDays(1).ToString("O"), StringComparison.Ordinal);
        var (status, error) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, method, $"{Api}/{path}", body);
        Assert.True(status == HttpStatusCode.BadRequest && (string?)error?["code"] == code, $"{why}: {(int)status} {error}");
        Assert.False(string.IsNullOrEmpty((string?)error!["message"]), why);
    }

    [Fact]
    public async Task A_data_folder_from_before_the_index_gets_the_index_tables_at_start()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        await h.Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(h.Server.DataFolder, "queue.db")};Pooling=False"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE indexed_tasks; DROP TABLE index_namespaces;";
            drop.ExecuteNonQuery();
        }

        await h.RestartAsync();
        Assert.Equal("pending", (await h.Root.Queue.StatusAsync(taskId)).Status.State);
        await h.Root.Index.InsertTaskAsync("after.upgrade", Entry(taskId, 0, DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal(taskId, (await h.Root.Index.FindTaskAsync("after.upgrade")).TaskId);
    }

    private static InsertTaskRequest Entry(string taskId, double rank, DateTimeOffset expires, JObject? data = null) =>
        new() { TaskId = taskId, Rank = rank, Expires = expires, Data = data ?? [] };

    /// <summary>Creates a task, claims it and resolves its run as <paramref name="resolution"/> (completed, failed or exception).</summary>
    private static async Task<string> RunAsync(QueueHarness h, string resolution, Action<JObject> change)
    {
        var taskId = await h.CreateAsync(change);
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        Assert.Equal(taskId, claim.Status.TaskId);
        var queue = h.Client(claim.Credentials).Queue;
        var status = resolution switch
        {
            "completed" => await queue.ReportCompletedAsync(taskId, 0),
            "failed" => await queue.ReportFailedAsync(taskId, 0),
            _ => await queue.ReportExceptionAsync(taskId, 0, "malformed-payload"),
        };
        Assert.Equal(resolution, status.Status.State);
        return taskId;
    }
}
