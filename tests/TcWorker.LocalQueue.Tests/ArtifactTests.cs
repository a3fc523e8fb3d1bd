using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Artifacts of every storage type, through the per-claim credentials.</summary>
public sealed class ArtifactTests
{
    public static TheoryData<string> Names => ["public/logs/live.log", "public/a b+c%20d.txt", "private/~!@#$^&*()[]{};',=\\`.txt", "plain"];

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public async Task S3_and_object_artifacts_round_trip_their_bytes_and_content_type(string name)
    {
        await using var h = await QueueHarness.StartAsync();
        var (taskId, task) = await ClaimedAsync(h);
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var uploader = new ArtifactUploader(task.Queue);
        await uploader.UploadS3Async(taskId, 0, name, "text/plain; charset=utf-8", expires, ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("s3 bytes"))));
        // object artifacts get an upload scope naming them, and scopes are printable ASCII only: the real queue fails the same way
        var objectName = name.All(char.IsAscii) ? name + ".obj" : "public/ascii.obj";
        await uploader.UploadObjectAsync(taskId, 0, objectName, "application/json", expires, ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("{\"small\":true}"))));
        var big = new byte[100_000];
        Random.Shared.NextBytes(big);
        await uploader.UploadObjectAsync(taskId, 0, objectName + ".big", "application/octet-stream", expires, ArtifactUploader.Rewinding(new MemoryStream(big)));

        using var http = new HttpClient();
        foreach (var (artifact, type, bytes) in new[] { (name, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes("s3 bytes")), (objectName, "application/json", Encoding.UTF8.GetBytes("{\"small\":true}")), (objectName + ".big", "application/octet-stream", big) })
        {
            var location = await h.Root.Queue.GetArtifactAsync(taskId, 0, artifact);
            using var response = await http.GetAsync(location.Url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType!.ToString());
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
            var latest = await h.Root.Queue.GetLatestArtifactAsync(taskId, artifact);
            Assert.StartsWith(h.Server.RootUrl, latest.Url, StringComparison.Ordinal);
            using var signed = await http.GetAsync(h.Root.Queue.BuildSignedArtifactUrl(taskId, 0, artifact, TimeSpan.FromMinutes(5)));
            Assert.Equal(bytes, await signed.Content.ReadAsByteArrayAsync());
        }

        var content = await h.Root.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/runs/0/artifact-content/{TaskclusterUrl.Escape(name)}", null);
        // not checked against artifact-content-response.json: NJsonSchema ignores `const`, so its s3 and reference variants both match
        Assert.Equal("s3", (string)content["storageType"]!);
        Assert.Equal("s3 bytes", await http.GetStringAsync((string)content["url"]!));
        var objectContent = await h.Root.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/artifact-content/{TaskclusterUrl.Escape(objectName)}", null);
        Assert.Equal("object", (string)objectContent["storageType"]!);
        var download = await h.Client(objectContent["credentials"]!.ToObject<TaskclusterCredentials>()).Object.StartDownloadAsync((string)objectContent["name"]!);
        Assert.Equal("{\"small\":true}", await http.GetStringAsync(download.Url));
        var info = await h.Root.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/runs/0/artifact-info/{TaskclusterUrl.Escape(name)}", null);
        await Schemas.AssertValidAsync("queue/v1/artifact-response.json", info);
        Assert.Equal(name, (string)info["name"]!);

        var listed = await h.Root.Queue.ListArtifactsAsync(taskId, 0);
        Assert.Equal(new[] { name, objectName + ".big", objectName }.Order(StringComparer.Ordinal), listed.Artifacts.Select(a => a.Name));
        await Schemas.AssertValidAsync("queue/v1/list-artifacts-response.json", await h.Root.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/artifacts", null));
    }

    [SkippableFact]
    public async Task The_folder_store_keeps_the_content_encoding_an_s3_upload_sent_and_serves_it_back()
    {
        await using var h = await QueueHarness.StartAsync();
        await AssertEncodingsRoundTripAsync(h);
    }

    /// <summary>Uploads a gzip and an identity s3 artifact and fetches both back, raw and decoded, directly and through getArtifact's redirect.</summary>
    internal static async Task AssertEncodingsRoundTripAsync(QueueHarness h)
    {
        var (taskId, task) = await ClaimedAsync(h);
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var uploader = new ArtifactUploader(task.Queue);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i} gzip me\n")));
        await uploader.UploadS3Async(taskId, 0, "public/text.txt", "text/plain; charset=utf-8", expires, ArtifactUploader.Rewinding(new MemoryStream(text)), ArtifactEncoding.Gzip);
        await uploader.UploadS3Async(taskId, 0, "public/plain.txt", "text/plain; charset=utf-8", expires, ArtifactUploader.Rewinding(new MemoryStream(text)), ArtifactEncoding.Identity);

        await StoredContent.AssertGzipAsync(new Uri((await h.Root.Queue.GetArtifactAsync(taskId, 0, "public/text.txt")).Url), text, "text/plain; charset=utf-8");
        await StoredContent.AssertGzipAsync(h.Root.Queue.BuildSignedArtifactUrl(taskId, 0, "public/text.txt", TimeSpan.FromMinutes(5)), text, "text/plain; charset=utf-8");
        await StoredContent.AssertIdentityAsync(h.Root.Queue.BuildSignedArtifactUrl(taskId, 0, "public/plain.txt", TimeSpan.FromMinutes(5)), text, "text/plain; charset=utf-8");
    }

    [Fact]
    public async Task Reference_link_and_error_artifacts_redirect_or_fail_as_the_queue_does()
    {
        await using var h = await QueueHarness.StartAsync();
        var (taskId, task) = await ClaimedAsync(h);
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        await task.Queue.CreateArtifactAsync(taskId, 0, "public/logs/live.log", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/live"));
        Assert.Equal("http://127.0.0.1:1/live", (await h.Root.Queue.GetArtifactAsync(taskId, 0, "public/logs/live.log")).Url);
        await task.Queue.CreateArtifactAsync(taskId, 0, "public/logs/live_backing.log", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/backing"));
        await task.Queue.CreateArtifactAsync(taskId, 0, "public/logs/live.log", CreateArtifactRequest.Link(expires, "public/logs/live_backing.log"));
        Assert.Equal("http://127.0.0.1:1/backing", (await h.Root.Queue.GetArtifactAsync(taskId, 0, "public/logs/live.log")).Url);
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => task.Queue.CreateArtifactAsync(taskId, 0, "public/logs/live_backing.log", CreateArtifactRequest.Link(expires, "public/logs/live.log")));
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => task.Queue.CreateArtifactAsync(taskId, 0, "public/logs/live.log", CreateArtifactRequest.S3(expires, "text/plain")));

        await task.Queue.CreateArtifactAsync(taskId, 0, "public/missing.txt", CreateArtifactRequest.Error(expires, "file-missing-on-worker", "no such file"));
        await task.Queue.CreateArtifactAsync(taskId, 0, "public/missing.txt", CreateArtifactRequest.Error(expires, "file-missing-on-worker", "no such file"));
        var e = await Assert.ThrowsAsync<TaskclusterException>(() => h.Root.Queue.GetArtifactAsync(taskId, 0, "public/missing.txt"));
        Assert.Equal(HttpStatusCode.FailedDependency, e.StatusCode);
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => task.Queue.FinishArtifactAsync(taskId, 0, "public/missing.txt", "x"));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.GetArtifactAsync(taskId, 0, "public/nothing"));
    }

    [Fact]
    public async Task Artifacts_may_not_outlive_the_task_nor_be_added_to_resolved_runs()
    {
        await using var h = await QueueHarness.StartAsync();
        var (taskId, task) = await ClaimedAsync(h);
        var taskExpires = QueueJsonDate((await h.Root.Queue.TaskAsync(taskId))["expires"]!);
        await QueueHarness.FailsAsync(HttpStatusCode.BadRequest, "InputError", () => task.Queue.CreateArtifactAsync(taskId, 0, "late", CreateArtifactRequest.S3(taskExpires.AddSeconds(1), "text/plain")));
        await task.Queue.CreateArtifactAsync(taskId, 0, "ok", CreateArtifactRequest.S3(taskExpires, "text/plain"));
        await task.Queue.ReportCompletedAsync(taskId, 0);
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => task.Queue.CreateArtifactAsync(taskId, 0, "after", CreateArtifactRequest.S3(taskExpires, "text/plain")));
    }

    [Fact]
    public async Task Signed_blob_urls_reject_tampering()
    {
        await using var h = await QueueHarness.StartAsync();
        var (taskId, task) = await ClaimedAsync(h);
        var put = await task.Queue.CreateArtifactAsync(taskId, 0, "x", CreateArtifactRequest.S3(DateTimeOffset.UtcNow.AddDays(1), "text/plain"));
        using var http = new HttpClient();
        using var forged = await http.PutAsync(put.PutUrl!.Replace("signature=", "signature=A", StringComparison.Ordinal), new StringContent("x"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        using var asGet = await http.GetAsync(put.PutUrl);
        Assert.Equal(HttpStatusCode.Forbidden, asGet.StatusCode);
    }

    private static DateTimeOffset QueueJsonDate(JToken token) => DateTimeOffset.Parse((string)token!, System.Globalization.CultureInfo.InvariantCulture);

    internal static async Task<(string TaskId, TaskclusterClient Task)> ClaimedAsync(QueueHarness h)
    {
        var taskId = await h.CreateAsync();
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        return (taskId, h.Client(claim.Credentials));
    }
}
