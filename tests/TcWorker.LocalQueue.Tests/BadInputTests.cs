using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Bad requests get the official error codes and bodies, never a 500.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task Malformed_json_is_MalformedPayload_with_an_error_body()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { AllowAnonymous = true });
        using var http = new HttpClient();
        using var response = await http.PutAsync($"{h.Server.RootUrl}/api/queue/v1/task/{QueueHarness.NewTaskId()}", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("MalformedPayload", (string)body["code"]!);
        Assert.Equal("createTask", (string)body["requestInfo"]!["method"]!);
        Assert.NotNull(body["message"]);

        using var unknown = await http.GetAsync($"{h.Server.RootUrl}/api/queue/v1/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("ResourceNotFound", (string)JObject.Parse(await unknown.Content.ReadAsStringAsync())["code"]!);
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "no metadata", """{"metadata": null}""" },
        { "bad priority", """{"priority": "normal"}""" },
        { "bad queue", """{"taskQueueId": "no-slash"}""" },
        { "extra property", """{"unknown": 1}""" },
        { "retries", """{"retries": 50}""" },
        { "requires", """{"requires": "some"}""" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Schema_violations_are_InputValidationError(string why, string change)
    {
        await using var h = await QueueHarness.StartAsync();
        var task = QueueHarness.Task();
        foreach (var property in JObject.Parse(change).Properties())
        {
            if (property.Value.Type == JTokenType.Null)
            {
                task.Remove(property.Name);
            }
            else
            {
                task[property.Name] = property.Value;
            }
        }

        var e = await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError", () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), task));
        Assert.False(string.IsNullOrEmpty(e.Message), why);
    }

    [Fact]
    public async Task Times_out_of_range_are_InputError()
    {
        await using var h = await QueueHarness.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["created"] = now.AddMinutes(-20).ToString("O"))));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["deadline"] = now.AddDays(6).ToString("O"))));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["expires"] = now.AddMinutes(30).ToString("O"))));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError", () => h.Root.Queue.CreateTaskAsync("not-a-slug", QueueHarness.Task()));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["dependencies"] = new JArray(QueueHarness.NewTaskId()))));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError", () => h.Root.Queue.ClaimWorkAsync(QueueHarness.QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w", Tasks = 33 }));
    }

    [Fact]
    public async Task Unknown_tasks_and_runs_are_ResourceNotFound()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = QueueHarness.NewTaskId();
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.TaskAsync(taskId));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.StatusAsync(taskId));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.ReclaimTaskAsync(taskId, 0));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.CancelTaskAsync(taskId));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.ListArtifactsAsync(taskId, 0));
    }

    [Fact]
    public async Task Bad_credentials_are_AuthenticationFailed_and_missing_scopes_InsufficientScopes()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        var badMac = await QueueHarness.FailsAsync(HttpStatusCode.Unauthorized, "AuthenticationFailed", () => h.Client(new TaskclusterCredentials("static/test-root", "wrong-token")).Queue.StatusAsync(taskId));
        Assert.Equal("status", (string)badMac.RequestInfo!["method"]!);
        Assert.Equal(taskId, (string)badMac.RequestInfo["params"]!["taskId"]!);
        await QueueHarness.FailsAsync(HttpStatusCode.Unauthorized, "AuthenticationFailed", () => h.Client(new TaskclusterCredentials("no-such-client", "x")).Queue.StatusAsync(taskId));
        var expired = h.Server.RootCredentials.CreateTemporary(["*"], DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await QueueHarness.FailsAsync(HttpStatusCode.Unauthorized, "AuthenticationFailed", () => h.Client(expired).Queue.StatusAsync(taskId));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.Client(new TaskclusterCredentials("nobody", QueueHarness.WorkerClientToken)).Queue.StatusAsync(taskId));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.Worker.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task()));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.ClaimAsync(workerId: "w1", client: h.Client(new TaskclusterCredentials(QueueHarness.WorkerClientId, QueueHarness.WorkerClientToken).WithAuthorizedScopes([$"queue:claim-work:{QueueHarness.QueueId}"]))));
        var limited = h.Server.RootCredentials.CreateTemporary(["queue:create-task:high:local-prov/test-wt", "queue:create-task:project:none", "queue:scheduler-id:-"], TimeSpan.FromHours(1));
        await h.Client(limited).Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["priority"] = "low"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.Client(limited).Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["priority"] = "highest")));
    }

    [Fact]
    public async Task Out_of_range_and_mistyped_claim_and_worker_fields_are_400_naming_the_field()
    {
        await using var h = await QueueHarness.StartAsync();
        const string Claim = $"/api/queue/v1/claim-work/{QueueHarness.QueueId}";
        const string Quarantine = "/api/queue/v1/provisioners/local-prov/worker-types/test-wt/workers/wg/w1";
        await h.CreateAsync();
        await h.ClaimAsync();
        await AssertRefusedAsync(h, h.Server.RootCredentials,
            new("tasks beyond an int", "POST", Claim, """{"workerGroup": "wg", "workerId": "w1", "tasks": 99999999999}""", HttpStatusCode.BadRequest, "InputValidationError", "tasks"),
            new("tasks beyond a long", "POST", Claim, """{"workerGroup": "wg", "workerId": "w1", "tasks": 123456789012345678901234567890}""", HttpStatusCode.BadRequest, "InputValidationError", "tasks"),
            new("declareWorker without expires", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/wg/w1", "{}", HttpStatusCode.BadRequest, "InputValidationError", "expires"),
            new("quarantineInfo not a string", "PUT", Quarantine, """{"quarantineUntil": "2030-01-01T00:00:00.000Z", "quarantineInfo": {}}""", HttpStatusCode.BadRequest, "InputValidationError", "quarantineInfo"),
            new("quarantineInfo too long", "PUT", Quarantine, $$"""{"quarantineUntil": "2030-01-01T00:00:00.000Z", "quarantineInfo": "{{new string('x', 4001)}}"}""", HttpStatusCode.BadRequest, "InputValidationError", "quarantineInfo"));
    }

    [Fact]
    public async Task Anonymous_callers_cannot_declare_workers()
    {
        await using var h = await QueueHarness.StartAsync();
        var expires = $$"""{"expires": "{{DateTimeOffset.UtcNow.AddDays(1):O}}"}""";
        await AssertRefusedAsync(h, null,
            new("declareWorker", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/wg/w1", expires, HttpStatusCode.Forbidden, "InsufficientScopes", "queue:declare-worker:p/w/wg/w1"),
            new("declareWorker, empty body", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/wg/w1", "{}", HttpStatusCode.Forbidden, "InsufficientScopes", "queue:declare-worker:p/w/wg/w1"),
            new("declareWorker of worker group `workers`", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/workers/w1", "{}", HttpStatusCode.Forbidden, "InsufficientScopes", "queue:declare-worker:p/w/workers/w1"),
            new("quarantineWorker", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/workers/wg/w1", """{"quarantineUntil": "2030-01-01T00:00:00.000Z"}""", HttpStatusCode.Forbidden, "InsufficientScopes", "queue:quarantine-worker:p/w/wg/w1"));

        // no worker record was made: quarantining one needs it to exist
        const string QuarantineBody = """{"quarantineUntil": "2030-01-01T00:00:00.000Z"}""";
        await AssertRefusedAsync(h, h.Server.RootCredentials,
            new("worker wg/w1", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/workers/wg/w1", QuarantineBody, HttpStatusCode.NotFound, "ResourceNotFound", "w1"),
            new("worker workers/w1", "PUT", "/api/queue/v1/provisioners/p/worker-types/w/workers/workers/w1", QuarantineBody, HttpStatusCode.NotFound, "ResourceNotFound", "w1"));
        var (declared, _) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "PUT", "/api/queue/v1/provisioners/p/worker-types/w/wg/w1", expires);
        Assert.Equal(HttpStatusCode.OK, declared);
    }

    [Fact]
    public async Task Bad_artifact_lengths_content_types_and_reference_urls_are_400_naming_the_field()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        await h.ClaimAsync();
        var expires = DateTimeOffset.UtcNow.AddDays(1).ToString("O");
        string Create(string name) => $"/api/queue/v1/task/{taskId}/runs/0/artifacts/public/{name}";
        string Reference(string url) => new JObject { ["storageType"] = "reference", ["expires"] = expires, ["contentType"] = "text/plain", ["url"] = url }.ToString();
        await AssertRefusedAsync(h, h.Server.RootCredentials,
            new("s3 contentLength not a number", "POST", Create("a"), $$"""{"storageType": "s3", "expires": "{{expires}}", "contentType": "text/plain", "contentLength": "abc"}""", HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("object contentLength not a number", "POST", Create("b"), $$"""{"storageType": "object", "expires": "{{expires}}", "contentType": "text/plain", "contentLength": "abc"}""", HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("negative contentLength", "POST", Create("c"), $$"""{"storageType": "s3", "expires": "{{expires}}", "contentType": "text/plain", "contentLength": -1}""", HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("fractional contentLength", "POST", Create("d"), $$"""{"storageType": "s3", "expires": "{{expires}}", "contentType": "text/plain", "contentLength": 1.5}""", HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("contentType over 255 characters", "POST", Create("e"), $$"""{"storageType": "s3", "expires": "{{expires}}", "contentType": "{{new string('a', 256)}}"}""", HttpStatusCode.BadRequest, "InputValidationError", "contentType"),
            new("link contentType not a string", "POST", Create("f"), $$"""{"storageType": "link", "expires": "{{expires}}", "contentType": {}, "artifact": "public/x"}""", HttpStatusCode.BadRequest, "InputValidationError", "contentType"),
            new("reference contentType not a string", "POST", Create("g"), $$"""{"storageType": "reference", "expires": "{{expires}}", "contentType": [], "url": "https://example.com/"}""", HttpStatusCode.BadRequest, "InputValidationError", "contentType"),
            new("reference url with CR LF", "POST", Create("h"), Reference("https://example.com/\r\nSet-Cookie: a=b"), HttpStatusCode.BadRequest, "InputValidationError", "url"),
            new("reference url javascript:", "POST", Create("i"), Reference("javascript:alert(1)"), HttpStatusCode.BadRequest, "InputValidationError", "url"),
            new("reference url relative", "POST", Create("j"), Reference("/api/queue/v1/ping"), HttpStatusCode.BadRequest, "InputValidationError", "url"),
            new("reference url with a space", "POST", Create("k"), Reference("https://example.com/a b"), HttpStatusCode.BadRequest, "InputValidationError", "url"),
            new("reference url not ASCII", "POST", Create("l"), Reference("https://example.com/ü"), HttpStatusCode.BadRequest, "InputValidationError", "url"),
            new("reference url without a host", "POST", Create("m"), Reference("http:///path"), HttpStatusCode.BadRequest, "InputValidationError", "url"));

        var (status, _) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "POST", Create("ok"), Reference("https://example.com/a%20b?c=d#e"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("https://example.com/a%20b?c=d#e", (await h.Root.Queue.GetArtifactAsync(taskId, 0, "public/ok")).Url);
        (status, _) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "POST", Create("sized"), $$"""{"storageType": "s3", "expires": "{{expires}}", "contentType": "text/plain", "contentLength": 5}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Bad_object_upload_methods_and_hashes_are_400_naming_the_field()
    {
        await using var h = await QueueHarness.StartAsync();
        var uploadId = Slugid.Nice();
        string Upload(string methods, string extra = "") =>
            $$"""{"projectId": "p", "uploadId": "{{uploadId}}", "expires": "2030-01-01T00:00:00.000Z", "proposedUploadMethods": {{methods}}{{extra}}}""";
        await AssertRefusedAsync(h, h.Server.RootCredentials,
            new("putUrl contentLength not a number", "PUT", "/api/object/v1/upload/o1", Upload("""{"putUrl": {"contentType": "text/plain", "contentLength": "abc"}}"""), HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("putUrl contentLength negative", "PUT", "/api/object/v1/upload/o1", Upload("""{"putUrl": {"contentType": "text/plain", "contentLength": -5}}"""), HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("putUrl contentLength missing", "PUT", "/api/object/v1/upload/o1", Upload("""{"putUrl": {"contentType": "text/plain"}}"""), HttpStatusCode.BadRequest, "InputValidationError", "contentLength"),
            new("putUrl not an object", "PUT", "/api/object/v1/upload/o1", Upload("""{"putUrl": 5}"""), HttpStatusCode.BadRequest, "InputValidationError", "putUrl"),
            new("dataInline not an object", "PUT", "/api/object/v1/upload/o1", Upload("""{"dataInline": "x"}"""), HttpStatusCode.BadRequest, "InputValidationError", "dataInline"),
            new("unknown upload method", "PUT", "/api/object/v1/upload/o1", Upload("""{"carrierPigeon": {}}"""), HttpStatusCode.BadRequest, "InputValidationError", "carrierPigeon"),
            new("hash not a string", "PUT", "/api/object/v1/upload/o1", Upload("{}", """, "hashes": {"sha256": 5}"""), HttpStatusCode.BadRequest, "InputValidationError", "sha256"),
            new("sha512 of the wrong length", "PUT", "/api/object/v1/upload/o1", Upload("{}", """, "hashes": {"sha512": "abc"}"""), HttpStatusCode.BadRequest, "InputValidationError", "sha512"),
            new("hashes not an object", "POST", "/api/object/v1/finish-upload/o1", $$"""{"projectId": "p", "uploadId": "{{uploadId}}", "hashes": []}""", HttpStatusCode.BadRequest, "InputValidationError", "hashes"),
            new("uploadId not a slugid", "PUT", "/api/object/v1/upload/o2", """{"projectId": "p", "uploadId": "u", "expires": "2030-01-01T00:00:00.000Z", "proposedUploadMethods": {}}""", HttpStatusCode.BadRequest, "InputValidationError", "uploadId"),
            new("projectId with a space", "PUT", "/api/object/v1/upload/o2", $$$"""{"projectId": "p q", "uploadId": "{{{uploadId}}}", "expires": "2030-01-01T00:00:00.000Z", "proposedUploadMethods": {}}""", HttpStatusCode.BadRequest, "InputValidationError", "projectId"));

        var (status, body) = await SignedRequests.SendAsync(h.Server.RootUrl, h.Server.RootCredentials, "PUT", "/api/object/v1/upload/o3",
            Upload("""{"putUrl": {"contentType": "text/plain", "contentLength": 5}}""", $$""", "hashes": {"sha256": "{{new string('a', 64)}}", "md5": "anything"}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("5", (string)body!["uploadMethod"]!["putUrl"]!["headers"]!["Content-Length"]!);
    }

    /// <summary>A request the typed client would never send.</summary>
    internal sealed record BadCall(string Why, string Method, string Path, string Body, HttpStatusCode Status, string Code, string Named);

    /// <summary>Sends every call and asserts each gets its status and code, with a message naming what is wrong; reports every mismatch at once.</summary>
    private static async Task AssertRefusedAsync(QueueHarness h, TaskclusterCredentials? credentials, params BadCall[] calls)
    {
        var mismatches = new List<string>();
        foreach (var call in calls)
        {
            var (status, body) = await SignedRequests.SendAsync(h.Server.RootUrl, credentials, call.Method, call.Path, call.Body);
            var code = (string?)body?["code"];
            var message = (string?)body?["message"] ?? string.Empty;
            if (status != call.Status || code != call.Code || !message.Contains(call.Named, StringComparison.Ordinal) || body?["requestInfo"] is null)
            {
                mismatches.Add($"{call.Why}: expected {(int)call.Status} {call.Code} naming `{call.Named}`, got {(int)status} {code}: {message}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }
}
