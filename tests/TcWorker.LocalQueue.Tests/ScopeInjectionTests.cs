using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>
/// A certificate's signature covers its scopes joined with newlines, so a scope holding a newline
/// signs the same text as two scopes. No string with a newline (or any character outside
/// printable ASCII) may become part of a scope the queue signs.
/// </summary>
public sealed class ScopeInjectionTests
{
    private const string OtherQueue = "other-prov/other-wt";

    [Fact]
    public async Task A_worker_cannot_turn_an_object_artifact_name_into_scope_star()
    {
        await using var h = await QueueHarness.StartAsync();
        var claim = await ClaimOneAsync(h);
        var claimQueue = h.Client(claim.Credentials).Queue;
        var expires = DateTimeOffset.UtcNow.AddHours(1);

        var refused = await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments",
            () => claimQueue.CreateArtifactAsync(claim.Status.TaskId, 0, "x\n*", CreateArtifactRequest.Object(expires, "text/plain")));
        Assert.Contains("name", refused.Message, StringComparison.Ordinal);

        // The same name in s3, reference, link and error artifacts is refused too.
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments",
            () => claimQueue.CreateArtifactAsync(claim.Status.TaskId, 0, "public/\u00e9", CreateArtifactRequest.S3(expires, "text/plain")));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments",
            () => claimQueue.CreateArtifactAsync(claim.Status.TaskId, 0, "a\tb", CreateArtifactRequest.Error(expires, "file-missing-on-worker", "gone")));
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError",
            () => claimQueue.CreateArtifactAsync(claim.Status.TaskId, 0, "public/link", CreateArtifactRequest.Link(expires, "x\n*")));

        Assert.False(await EscalatesAsync(h, claim), "the rewritten upload certificate was accepted with scope *");
    }

    [Fact]
    public async Task A_task_scope_with_a_newline_is_refused_at_createTask()
    {
        await using var h = await QueueHarness.StartAsync();
        var creator = await h.AddClientAsync("creator", "queue:foo*", "queue:create-task:*", "queue:scheduler-id:*");
        var e = await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError",
            () => creator.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["scopes"] = new JArray("queue:foo\n*"))));
        Assert.Contains("scopes", e.Message, StringComparison.Ordinal);

        // A printable scope the creator holds is still fine.
        await creator.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["scopes"] = new JArray("queue:foo bar")));
    }

    [Fact]
    public async Task Object_names_with_control_characters_are_refused_by_the_object_service()
    {
        await using var h = await QueueHarness.StartAsync();
        using var http = new HttpClient();
        var body = new JObject
        {
            ["projectId"] = "none",
            ["uploadId"] = Slugid.Nice(),
            ["expires"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
            ["proposedUploadMethods"] = new JObject(),
        };
        var e = await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InvalidRequestArguments",
            () => h.Root.CallAsync<JObject>(HttpMethod.Put, "object", "/upload/" + Uri.EscapeDataString("a\n*"), body));
        Assert.Contains("name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_library_refuses_to_issue_scopes_or_names_outside_printable_ascii()
    {
        var root = new TaskclusterCredentials("static/root", "root-token-0123456789abcdefghijklmnopqrstuvw");
        var start = DateTimeOffset.UtcNow;
        var scope = Assert.Throws<ArgumentException>(() => root.CreateTemporary(["queue:a\n*"], start, start.AddHours(1)));
        Assert.Contains("queue:a\\n*", scope.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => root.CreateTemporary(["ok", "caf\u00e9"], start, start.AddHours(1)));
        Assert.Throws<ArgumentException>(() => root.CreateTemporary(["ok"], start, start.AddHours(1), name: "task-client/x\nissuer:static/root"));
        Assert.Throws<ArgumentException>(() => root.CreateTemporary(["ok"], start, start.AddHours(1), name: "with space"));
        Assert.Throws<ArgumentException>(() => TemporaryCertificate.Sign("token", null, null, new string('a', 44), 0, 1, ["a\n*"]));
        Assert.Throws<ArgumentException>(() => root.WithAuthorizedScopes(["a\n*"]));

        // Every printable character is a valid scope character, as in the official scope pattern.
        var printable = new string(Enumerable.Range(0x20, 0x5f).Select(c => (char)c).ToArray());
        Assert.NotNull(root.CreateTemporary([printable], start, start.AddHours(1)).Certificate);
    }

    [Fact]
    public async Task A_clients_file_with_an_invalid_scope_or_client_id_is_refused_at_start()
    {
        var folder = Path.Combine(Path.GetTempPath(), "lq-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var (clientId, scope) in new[] { ("good", "queue:a\n*"), ("bad\nid", "queue:a") })
            {
                var clients = Path.Combine(folder, "clients.json");
                await File.WriteAllTextAsync(clients, new JArray(new JObject { ["clientId"] = clientId, ["accessToken"] = "t", ["scopes"] = new JArray(scope) }).ToString());
                var options = new LocalQueueOptions { DataFolder = Path.Combine(folder, "data"), ClientsFile = clients };
                var e = await Assert.ThrowsAsync<InvalidDataException>(() => LocalQueueServer.StartAsync(options));
                Assert.Contains("clients.json", e.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Identifiers_that_enter_a_signed_name_or_scope_are_refused_even_with_a_trailing_newline()
    {
        await using var h = await QueueHarness.StartAsync();
        await h.CreateAsync();
        // A trailing newline too: in .NET a pattern's $ also matches before a final newline.
        foreach (var workerId in new[] { "w\nissuer:static/test-root", "w\n" })
        {
            await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError",
                () => h.Root.Queue.ClaimWorkAsync(QueueHarness.QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = workerId, Tasks = 1 }));
        }

        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputValidationError",
            () => h.Root.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t => t["projectId"] = "none\n")));
    }

    /// <summary>
    /// The attack: create an object artifact whose name ends in a newline and <c>*</c>, rewrite the
    /// upload certificate's scope list so the newline splits it, keep the signature, and use the
    /// result to create and claim a task with scope <c>*</c> in another pool.
    /// </summary>
    private static async Task<bool> EscalatesAsync(QueueHarness h, TaskClaim claim)
    {
        CreateArtifactResponse created;
        try
        {
            created = await h.Client(claim.Credentials).Queue.CreateArtifactAsync(
                claim.Status.TaskId, 0, "x\n*", CreateArtifactRequest.Object(DateTimeOffset.UtcNow.AddHours(1), "text/plain"));
        }
        catch (TaskclusterException)
        {
            return false;
        }

        var upload = created.Credentials!;
        var certificate = JObject.Parse(upload.Certificate!);
        var scope = (string)certificate["scopes"]![0]!;
        certificate["scopes"] = new JArray(scope.Split('\n'));
        var forged = new TaskclusterCredentials(upload.ClientId, upload.AccessToken, certificate.ToString(Formatting.None));
        try
        {
            var forgedClient = h.Client(forged);
            await forgedClient.Queue.CreateTaskAsync(QueueHarness.NewTaskId(), QueueHarness.Task(t =>
            {
                t["taskQueueId"] = OtherQueue;
                t["scopes"] = new JArray("*");
            }));
            var stolen = await forgedClient.Queue.ClaimWorkAsync(OtherQueue, new ClaimWorkRequest { WorkerGroup = "evil", WorkerId = "evil", Tasks = 1 });
            return stolen.Tasks.Count == 1 && stolen.Tasks[0].Task["scopes"]!.Values<string>().Contains("*");
        }
        catch (TaskclusterException)
        {
            return false;
        }
    }

    private static async Task<TaskClaim> ClaimOneAsync(QueueHarness h)
    {
        await h.CreateAsync();
        var claimed = await h.ClaimAsync(client: h.Worker);
        return Assert.Single(claimed.Tasks);
    }
}
