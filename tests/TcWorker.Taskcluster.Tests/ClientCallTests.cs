using System.Net;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;
using static TcWorker.Taskcluster.Tests.Support.Canned;

namespace TcWorker.Taskcluster.Tests;

/// <summary>
/// Every call against a loopback server: the request body is checked against the official
/// input schema, the canned response against the output schema, the route and the Hawk
/// signature are checked, and the parsed result is compared.
/// </summary>
public sealed class ClientCallTests
{
    private const string Q = "/api/queue/v1";
    private const string O = "/api/object/v1";
    private const string W = "/api/worker-manager/v1";
    private const string I = "/api/index/v1";
    private static readonly string Run = $"{Q}/task/{TaskId}/runs/0";
    private readonly FakeTimeProvider time = new(Now);

    [SkippableFact]
    public async Task ClaimWork_posts_worker_identity_and_parses_claims()
    {
        var claimCredentials = ClaimCredentials();
        var canned = new JObject
        {
            ["tasks"] = new JArray(new JObject
            {
                ["status"] = Status(), ["runId"] = 0, ["workerGroup"] = "wg", ["workerId"] = "wid",
                ["takenUntil"] = Iso(Now.AddMinutes(20)), ["task"] = TaskDefinition(), ["credentials"] = CredentialsJson(claimCredentials),
            }),
        };
        var (result, _) = await ExchangeAsync("POST", $"{Q}/claim-work/proj%2Fwt", "queue/v1/claim-work-request.json", "queue/v1/claim-work-response.json", canned,
            c => c.Queue.ClaimWorkAsync("proj/wt", new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "wid", Tasks = 4 }));

        var claim = Assert.Single(result.Tasks);
        Assert.Equal(Now.AddMinutes(20), claim.TakenUntil);
        Assert.Equal(TaskId, claim.Status.TaskId);
        Assert.Equal("running", claim.Status.Runs[0].State);
        Assert.Equal(claimCredentials.ClientId, claim.Credentials.ClientId);
        Assert.Equal(claimCredentials.AccessToken, claim.Credentials.AccessToken);
        Assert.Equal(claimCredentials.Certificate, claim.Credentials.Certificate);
        Assert.True(JToken.DeepEquals(TaskDefinition(), claim.Task), claim.Task.ToString());
    }

    [SkippableFact]
    public async Task ReclaimTask_is_signed_with_the_claim_credentials_and_returns_new_ones()
    {
        var fresh = ClaimCredentials("2");
        var canned = new JObject
        {
            ["status"] = Status(), ["runId"] = 0, ["workerGroup"] = "wg", ["workerId"] = "wid",
            ["takenUntil"] = Iso(Now.AddMinutes(40)), ["credentials"] = CredentialsJson(fresh),
        };
        var (result, request) = await ExchangeAsync("POST", $"{Run}/reclaim", null, "queue/v1/task-reclaim-response.json", canned,
            c => c.Queue.ReclaimTaskAsync(TaskId, 0), ClaimCredentials());
        Assert.Equal(fresh.Certificate, result.Credentials.Certificate);
        Assert.Equal(Now.AddMinutes(40), result.TakenUntil);
        Assert.StartsWith($"Hawk id=\"task-client/{TaskId}/0/on/wg/wid/until/1\"", request.Header("Authorization"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Resolving_calls_post_to_their_routes()
    {
        var canned = new JObject { ["status"] = Status("completed") };
        var (completed, _) = await ExchangeAsync("POST", $"{Run}/completed", null, "queue/v1/task-status-response.json", canned, c => c.Queue.ReportCompletedAsync(TaskId, 0));
        Assert.Equal("completed", completed.Status.State);
        await ExchangeAsync("POST", $"{Run}/failed", null, "queue/v1/task-status-response.json", new JObject { ["status"] = Status("failed") }, c => c.Queue.ReportFailedAsync(TaskId, 0));
        var (_, exception) = await ExchangeAsync("POST", $"{Run}/exception", "queue/v1/task-exception-request.json", "queue/v1/task-status-response.json",
            new JObject { ["status"] = Status("exception") }, c => c.Queue.ReportExceptionAsync(TaskId, 0, "worker-shutdown"));
        Assert.Equal("worker-shutdown", (string)JObject.Parse(exception.BodyText)["reason"]!);
    }

    [SkippableFact]
    public async Task CreateArtifact_builds_every_storage_type()
    {
        var expires = Now.AddDays(1);
        var name = "public/logs/live backing.log";
        var target = $"{Run}/artifacts/public%2Flogs%2Flive%20backing.log";
        var objectResponse = new JObject
        {
            ["storageType"] = "object", ["name"] = $"t/{TaskId}/0/{name}", ["projectId"] = "none", ["uploadId"] = UploadId,
            ["expires"] = Iso(expires), ["credentials"] = CredentialsJson(ClaimCredentials()),
        };
        var (created, objectRequest) = await ExchangeAsync("POST", target, "queue/v1/post-artifact-request.json", "queue/v1/post-artifact-response.json", objectResponse,
            c => c.Queue.CreateArtifactAsync(TaskId, 0, name, CreateArtifactRequest.Object(expires, "text/plain", 12)));
        Assert.Equal(UploadId, created.UploadId);
        Assert.Equal(ClaimCredentials().ClientId, created.Credentials!.ClientId);
        Assert.Equal(new JObject { ["storageType"] = "object", ["expires"] = Iso(expires), ["contentType"] = "text/plain", ["contentLength"] = 12 }, JObject.Parse(objectRequest.BodyText));

        var s3Response = new JObject { ["storageType"] = "s3", ["putUrl"] = "https://bucket.example.com/x?sig=1", ["expires"] = Iso(Now.AddMinutes(45)), ["contentType"] = "text/plain" };
        var (s3, _) = await ExchangeAsync("POST", target, "queue/v1/post-artifact-request.json", "queue/v1/post-artifact-response.json", s3Response,
            c => c.Queue.CreateArtifactAsync(TaskId, 0, name, CreateArtifactRequest.S3(expires, "text/plain")));
        Assert.Equal("https://bucket.example.com/x?sig=1", s3.PutUrl);

        foreach (var (request, storageType) in new[]
        {
            (CreateArtifactRequest.Reference(expires, "https://livelog.example.com/log", "text/plain"), "reference"),
            (CreateArtifactRequest.Link(expires, "public/logs/live_backing.log"), "link"),
            (CreateArtifactRequest.Error(expires, "file-missing-on-worker", "no such file"), "error"),
        })
        {
            var (result, sent) = await ExchangeAsync("POST", target, "queue/v1/post-artifact-request.json", "queue/v1/post-artifact-response.json",
                new JObject { ["storageType"] = storageType }, c => c.Queue.CreateArtifactAsync(TaskId, 0, name, request));
            Assert.Equal(storageType, result.StorageType);
            Assert.Equal(storageType, (string)JObject.Parse(sent.BodyText)["storageType"]!);
        }
    }

    [SkippableFact]
    public async Task FinishArtifact_puts_the_upload_id_and_accepts_204()
    {
        var (_, request) = await ExchangeAsync("PUT", $"{Run}/artifacts/public%2Fa.txt", "queue/v1/finish-artifact-request.json", null, null,
            async c => { await c.Queue.FinishArtifactAsync(TaskId, 0, "public/a.txt", UploadId); return true; }, status: 204);
        Assert.Equal(UploadId, (string)JObject.Parse(request.BodyText)["uploadId"]!);
    }

    [SkippableFact]
    public async Task ListArtifacts_pages_with_an_escaped_continuation_token()
    {
        var canned = new JObject
        {
            ["artifacts"] = new JArray(new JObject { ["storageType"] = "object", ["name"] = "public/a.txt", ["expires"] = Iso(Now.AddDays(1)), ["contentType"] = "text/plain", ["contentLength"] = 3 }),
            ["continuationToken"] = "next",
        };
        var (page, _) = await ExchangeAsync("GET", $"{Run}/artifacts?continuationToken=a%2Bb%3D%26c&limit=10", null, "queue/v1/list-artifacts-response.json", canned,
            c => c.Queue.ListArtifactsAsync(TaskId, 0, "a+b=&c", 10));
        Assert.Equal("next", page.ContinuationToken);
        Assert.Equal(3, page.Artifacts[0].ContentLength);
        var (latest, _) = await ExchangeAsync("GET", $"{Q}/task/{TaskId}/artifacts", null, "queue/v1/list-artifacts-response.json", new JObject { ["artifacts"] = new JArray() },
            c => c.Queue.ListLatestArtifactsAsync(TaskId));
        Assert.Empty(latest.Artifacts);
        Assert.Null(latest.ContinuationToken);
    }

    [Fact]
    public async Task EnumerateArtifacts_follows_continuation_tokens()
    {
        static JObject Artifact(string name) => new() { ["storageType"] = "reference", ["name"] = name, ["expires"] = Iso(Now.AddDays(1)), ["contentType"] = "text/plain" };
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", $"{Run}/artifacts", new Reply(200, new JObject { ["artifacts"] = new JArray(Artifact("a"), Artifact("b")), ["continuationToken"] = "t/2" }));
        fake.On("GET", $"{Run}/artifacts?continuationToken=t%2F2", new Reply(200, new JObject { ["artifacts"] = new JArray(Artifact("c")) }));
        fake.On("GET", $"{Q}/task/{TaskId}/artifacts", new Reply(200, new JObject { ["artifacts"] = new JArray(Artifact("latest")) }));
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = fake.Url, Credentials = Worker, MaxRetries = 0 });

        Assert.Equal(["a", "b", "c"], await client.Queue.EnumerateArtifactsAsync(TaskId, 0).Select(a => a.Name).ToListAsync());
        Assert.Equal(["latest"], await client.Queue.EnumerateArtifactsAsync(TaskId).Select(a => a.Name).ToListAsync());
    }

    [SkippableFact]
    public async Task GetArtifact_returns_the_redirect_target_without_following_it()
    {
        var canned = new JObject { ["storageType"] = "s3", ["url"] = "https://bucket.example.com/public/a.txt" };
        var headers = new Dictionary<string, string> { ["Location"] = "https://bucket.example.com/public/a.txt", ["x-taskcluster-artifact-storage-type"] = "s3" };
        var (result, _) = await ExchangeAsync("GET", $"{Run}/artifacts/public%2Fa.txt", null, "queue/v1/get-artifact-response.json", canned,
            c => c.Queue.GetArtifactAsync(TaskId, 0, "public/a.txt"), status: 303, headers: headers);
        Assert.Equal("https://bucket.example.com/public/a.txt", result.Url);
        Assert.Equal("s3", result.StorageType);
        var (latest, _) = await ExchangeAsync("GET", $"{Q}/task/{TaskId}/artifacts/public%2Fa.txt", null, "queue/v1/get-artifact-response.json", canned,
            c => c.Queue.GetLatestArtifactAsync(TaskId, "public/a.txt"), status: 303, headers: headers);
        Assert.Equal("https://bucket.example.com/public/a.txt", latest.Url);
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => ExchangeAsync("GET", $"{Run}/artifacts/public%2Fe", null, null,
            new JObject { ["code"] = "ErrorArtifact", ["message"] = "missing", ["requestInfo"] = new JObject() }, c => c.Queue.GetArtifactAsync(TaskId, 0, "public/e"), status: 424));
        Assert.Equal((HttpStatusCode)424, error.StatusCode);
    }

    [SkippableFact]
    public async Task Task_status_create_and_cancel()
    {
        var definition = TaskDefinition();
        await Schemas.AssertValidAsync("queue/v1/task.json", definition);
        var (task, _) = await ExchangeAsync("GET", $"{Q}/task/{TaskId}", null, "queue/v1/task.json", definition, c => c.Queue.TaskAsync(TaskId));
        Assert.Equal((string)definition["created"]!, (string)task["created"]!);
        var (status, _) = await ExchangeAsync("GET", $"{Q}/task/{TaskId}/status", null, "queue/v1/task-status-response.json", new JObject { ["status"] = Status("pending") }, c => c.Queue.StatusAsync(TaskId));
        Assert.Equal("pending", status.Status.State);
        Assert.Equal(Now.AddHours(1), status.Status.Deadline);
        var (_, create) = await ExchangeAsync("PUT", $"{Q}/task/{TaskId}", "queue/v1/create-task-request.json", "queue/v1/task-status-response.json", new JObject { ["status"] = Status("pending") },
            c => c.Queue.CreateTaskAsync(TaskId, definition));
        Assert.Equal(definition.ToString(Newtonsoft.Json.Formatting.None), create.BodyText);
        await ExchangeAsync("POST", $"{Q}/task/{TaskId}/cancel", null, "queue/v1/task-status-response.json", new JObject { ["status"] = Status("exception") }, c => c.Queue.CancelTaskAsync(TaskId));
    }

    [SkippableFact]
    public async Task Worker_registry_calls()
    {
        var worker = new JObject
        {
            ["provisionerId"] = "proj", ["workerType"] = "wt", ["workerGroup"] = "wg", ["workerId"] = "wid",
            ["recentTasks"] = new JArray(), ["expires"] = Iso(Now.AddDays(1)), ["firstClaim"] = Iso(Now),
        };
        var (declared, _) = await ExchangeAsync("PUT", $"{Q}/provisioners/proj/worker-types/wt/wg/wid", "queue/v1/update-worker-request.json", "queue/v1/worker-response.json", worker,
            c => c.Queue.DeclareWorkerAsync("proj", "wt", "wg", "wid", new DeclareWorkerRequest { Expires = Now.AddDays(1) }));
        Assert.Equal("wid", (string)declared["workerId"]!);
        await ExchangeAsync("PUT", $"{Q}/provisioners/proj/worker-types/wt/workers/wg/wid", "queue/v1/quarantine-worker-request.json", "queue/v1/worker-response.json", worker,
            c => c.Queue.QuarantineWorkerAsync("proj", "wt", "wg", "wid", new QuarantineWorkerRequest { QuarantineUntil = Now.AddHours(1), QuarantineInfo = "broken disk" }));
        await ExchangeAsync("GET", $"{Q}/ping", null, null, new JObject { ["alive"] = true, ["uptime"] = 1 }, async c => { await c.Queue.PingAsync(); return true; });
        var (version, _) = await ExchangeAsync("GET", $"{Q}/__version__", null, null, new JObject { ["version"] = "v106.0.0" }, c => c.Queue.VersionAsync());
        Assert.Equal("v106.0.0", (string)version["version"]!);
    }

    [SkippableFact]
    public async Task Object_service_calls()
    {
        var name = $"t/{TaskId}/0/public/a.txt";
        var target = Uri.EscapeDataString(name);
        var canned = new JObject
        {
            ["projectId"] = "none", ["uploadId"] = UploadId, ["expires"] = Iso(Now.AddDays(1)),
            ["uploadMethod"] = new JObject { ["putUrl"] = new JObject { ["url"] = "https://bucket.example.com/o", ["expires"] = Iso(Now.AddMinutes(45)), ["headers"] = new JObject { ["Content-Type"] = "text/plain", ["Content-Length"] = "3" } } },
        };
        var (upload, _) = await ExchangeAsync("PUT", $"{O}/upload/{target}", "object/v1/create-upload-request.json", "object/v1/create-upload-response.json", canned,
            c => c.Object.CreateUploadAsync(name, new CreateUploadRequest
            {
                ProjectId = "none", UploadId = UploadId, Expires = Now.AddDays(1),
                ProposedUploadMethods = new ProposedUploadMethods { PutUrl = new PutUrlUploadRequest { ContentType = "text/plain", ContentLength = 3 } },
            }));
        Assert.Equal("3", upload.UploadMethod.PutUrl!.Headers["Content-Length"]);
        Assert.Null(upload.UploadMethod.DataInline);
        await ExchangeAsync("POST", $"{O}/finish-upload/{target}", "object/v1/finish-upload-request.json", null, null,
            async c => { await c.Object.FinishUploadAsync(name, new FinishUploadRequest { ProjectId = "none", UploadId = UploadId, Hashes = new ObjectHashes { Sha256 = new string('a', 64) } }); return true; }, status: 204);
        var (download, _) = await ExchangeAsync("PUT", $"{O}/start-download/{target}", "object/v1/download-object-request.json", "object/v1/download-object-response.json",
            new JObject { ["method"] = "getUrl", ["url"] = "https://bucket.example.com/o", ["expires"] = Iso(Now.AddHours(1)), ["hashes"] = new JObject { ["sha256"] = new string('b', 64) } },
            c => c.Object.StartDownloadAsync(name));
        Assert.Equal("getUrl", download.Method);
        Assert.Equal(new string('b', 64), download.Hashes!.Sha256);
    }

    [SkippableFact]
    public async Task Worker_manager_calls()
    {
        var secret = new string('s', 44);
        var credentials = new JObject { ["clientId"] = "worker/static/proj/wt/wg/wid", ["accessToken"] = "tok" };
        var (registered, register) = await ExchangeAsync("POST", $"{W}/worker/register", "worker-manager/v1/register-worker-request.json", "worker-manager/v1/register-worker-response.json",
            new JObject { ["expires"] = Iso(Now.AddDays(4)), ["credentials"] = credentials, ["workerConfig"] = new JObject { ["a"] = 1 }, ["secret"] = secret },
            c => c.WorkerManager.RegisterWorkerAsync(new RegisterWorkerRequest
            {
                WorkerPoolId = "proj/wt", ProviderId = "static", WorkerGroup = "wg", WorkerId = "wid",
                WorkerIdentityProof = new JObject { ["staticSecret"] = new string('x', 44) },
            }), signed: false);
        Assert.Null(register.Header("Authorization"));
        Assert.Equal("tok", registered.Credentials.AccessToken);
        Assert.Equal(1, (int)registered.WorkerConfig["a"]!);

        var (reregistered, _) = await ExchangeAsync("POST", $"{W}/worker/reregister", "worker-manager/v1/reregister-worker-request.json", "worker-manager/v1/reregister-worker-response.json",
            new JObject { ["expires"] = Iso(Now.AddDays(4)), ["credentials"] = credentials, ["secret"] = secret },
            c => c.WorkerManager.ReregisterWorkerAsync(new ReregisterWorkerRequest { WorkerPoolId = "proj/wt", WorkerGroup = "wg", WorkerId = "wid", Secret = secret }));
        Assert.Equal(secret, reregistered.Secret);

        var (terminate, _) = await ExchangeAsync("GET", $"{W}/workers/proj%2Fwt/wg/wid/should-terminate", null, "worker-manager/v1/should-worker-terminate-response.json",
            new JObject { ["terminate"] = true, ["reason"] = "pool removed" }, c => c.WorkerManager.ShouldWorkerTerminateAsync("proj/wt", "wg", "wid"));
        Assert.True(terminate.Terminate);
        await ExchangeAsync("DELETE", $"{W}/workers/proj%2Fwt/wg/wid", null, null, new JObject(), async c => { await c.WorkerManager.RemoveWorkerAsync("proj/wt", "wg", "wid"); return true; });
        await ExchangeAsync("POST", $"{W}/worker-pool-errors/proj%2Fwt", "worker-manager/v1/report-worker-error-request.json", "worker-manager/v1/worker-pool-error.json",
            new JObject { ["workerPoolId"] = "proj/wt", ["errorId"] = UploadId, ["reported"] = Iso(Now), ["kind"] = "worker-error", ["title"] = "t", ["description"] = "d", ["extra"] = new JObject() },
            c => c.WorkerManager.ReportWorkerErrorAsync("proj/wt", new ReportWorkerErrorRequest { WorkerGroup = "wg", WorkerId = "wid", Kind = "worker-error", Title = "t", Description = "d" }));
    }

    [SkippableFact]
    public async Task FindTask_and_InsertTask_escape_the_index_path_and_parse_the_indexed_task()
    {
        var canned = new JObject { ["namespace"] = "proj.it's(x)", ["taskId"] = TaskId, ["rank"] = 1.5, ["data"] = new JObject { ["rev"] = "a" }, ["expires"] = Iso(Now.AddDays(1)) };
        var (found, _) = await ExchangeAsync("GET", $"{I}/task/proj.it%27s%28x%29", null, "index/v1/indexed-task-response.json", canned, c => c.Index.FindTaskAsync("proj.it's(x)"));
        Assert.Equal(("proj.it's(x)", TaskId, 1.5, "a", Now.AddDays(1)), (found.Namespace, found.TaskId, found.Rank, (string?)found.Data["rev"], found.Expires));

        var (inserted, request) = await ExchangeAsync("PUT", $"{I}/task/proj.latest", "index/v1/insert-task-request.json", "index/v1/indexed-task-response.json", canned,
            c => c.Index.InsertTaskAsync("proj.latest", new InsertTaskRequest { TaskId = TaskId, Rank = 3, Data = new JObject { ["rev"] = "b" }, Expires = Now.AddDays(2) }));
        Assert.Equal(TaskId, inserted.TaskId);
        var body = JObject.Parse(request.BodyText);
        Assert.Equal((3d, "b"), ((double)body["rank"]!, (string?)body["data"]!["rev"]));
        Assert.Contains($"\"expires\":\"{Iso(Now.AddDays(2))}\"", request.BodyText, StringComparison.Ordinal);

        await ExchangeAsync("DELETE", $"{I}/task/proj.latest", null, null, new JObject(), async c =>
        {
            await c.Index.DeleteTaskAsync("proj.latest");
            return true;
        });
    }

    [SkippableFact]
    public async Task ListNamespaces_and_ListTasks_page_with_an_escaped_continuation_token()
    {
        var namespaces = new JObject
        {
            ["namespaces"] = new JArray(new JObject { ["namespace"] = "proj", ["name"] = "proj", ["expires"] = Iso(Now.AddDays(1)) }),
            ["continuationToken"] = "next",
        };
        var (root, _) = await ExchangeAsync("GET", $"{I}/namespaces/?continuationToken=a%2Bb&limit=10", null, "index/v1/list-namespaces-response.json", namespaces,
            c => c.Index.ListNamespacesAsync(string.Empty, "a+b", 10));
        Assert.Equal(("proj", "proj", "next"), (root.Namespaces[0].Namespace, root.Namespaces[0].Name, root.ContinuationToken));

        var tasks = new JObject { ["tasks"] = new JArray(new JObject { ["namespace"] = "proj.a", ["taskId"] = TaskId, ["rank"] = 0, ["data"] = new JObject(), ["expires"] = Iso(Now.AddDays(1)) }) };
        var (listed, _) = await ExchangeAsync("GET", $"{I}/tasks/proj", null, "index/v1/list-tasks-response.json", tasks, c => c.Index.ListTasksAsync("proj"));
        Assert.Equal(TaskId, Assert.Single(listed.Tasks).TaskId);
        Assert.Null(listed.ContinuationToken);
    }

    [Fact]
    public async Task BuildArtifactUrl_signs_the_findArtifactFromTask_url_with_a_bewit()
    {
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = "https://tc.example.com", Credentials = Worker, TimeProvider = time });
        var url = client.Index.BuildArtifactUrl("proj.latest", "public/a b.txt", TimeSpan.FromMinutes(10));
        Assert.StartsWith("https://tc.example.com/api/index/v1/task/proj.latest/artifacts/public%2Fa%20b.txt?bewit=", url.OriginalString, StringComparison.Ordinal);
        var verified = await new HawkVerifier(Lookup(), time).VerifyAsync(new HawkRequest { Method = "GET", Resource = url.PathAndQuery, Host = url.Host, Port = url.Port });
        Assert.True(verified.IsAuthenticated, verified.Message);
        Assert.Equal(WorkerClientId, verified.ClientId);

        using var anonymous = client.WithCredentials(null);
        Assert.Equal("https://tc.example.com/api/index/v1/task/proj.latest/artifacts/public%2Fa%20b.txt", anonymous.Index.BuildArtifactUrl("proj.latest", "public/a b.txt", TimeSpan.FromMinutes(10)).OriginalString);
    }

    [SkippableFact]
    public async Task Error_bodies_become_typed_exceptions()
    {
        var body = new JObject { ["code"] = "RequestConflict", ["message"] = "run is resolved", ["requestInfo"] = new JObject { ["method"] = "reclaimTask" } };
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => ExchangeAsync("POST", $"{Run}/reclaim", null, null, body, c => c.Queue.ReclaimTaskAsync(TaskId, 0), status: 409));
        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
        Assert.Equal("RequestConflict", error.Code);
        Assert.Contains("run is resolved", error.Message, StringComparison.Ordinal);
        Assert.Equal("reclaimTask", (string)error.RequestInfo!["method"]!);
    }

    private async Task<(T Result, RecordedRequest Request)> ExchangeAsync<T>(
        string method, string target, string? requestSchema, string? responseSchema, JToken? response, Func<TaskclusterClient, Task<T>> call,
        TaskclusterCredentials? credentials = null, int status = 200, IReadOnlyDictionary<string, string>? headers = null, bool signed = true)
    {
        if (responseSchema is not null)
        {
            await Schemas.AssertValidAsync(responseSchema, response!);
        }

        await using var fake = await FakeService.StartAsync();
        fake.On(method, target, new Reply(status, response, headers));
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = fake.Url + "/", Credentials = credentials ?? Worker, MaxRetries = 0, TimeProvider = time });
        try
        {
            return (await call(client), fake.Requests.Single());
        }
        finally
        {
            var request = Assert.Single(fake.Requests);
            Assert.Equal(method, request.Method);
            Assert.Equal(target, request.RawTarget);
            if (requestSchema is not null)
            {
                await Schemas.AssertValidAsync(requestSchema, JToken.Parse(request.BodyText));
            }
            else
            {
                Assert.Empty(request.Body);
            }

            if (signed)
            {
                var url = new Uri(fake.Url);
                var verified = await new HawkVerifier(Lookup(), time).VerifyAsync(new HawkRequest
                {
                    Method = method, Resource = request.RawTarget, Host = url.Host, Port = url.Port, Authorization = request.Header("Authorization"),
                });
                Assert.True(verified.IsAuthenticated, verified.Message);
            }
        }
    }
}
