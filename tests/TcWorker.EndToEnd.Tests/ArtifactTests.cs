using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>Artifacts of native-engine tasks, uploaded through the real local queue and fetched back.</summary>
public sealed class ArtifactTests
{
    private static readonly HttpClient Http = new();

    private static async Task<(string TaskId, Deployment Deployment)> RunAsync(string script, JArray artifacts)
    {
        var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", script) },
            ["artifacts"] = artifacts,
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);
        return (taskId, deployment);
    }

    internal static async Task<(HttpStatusCode Status, string Body, string? ContentType)> FetchAsync(Deployment deployment, string taskId, string name)
    {
        using var response = await Http.GetAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, name, TimeSpan.FromMinutes(5)));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Files_and_folders_upload_with_relative_names_and_content_types()
    {
        var (taskId, deployment) = await RunAsync(
            "mkdir -p out/sub && echo report > out/report.txt && echo '{}' > out/sub/data.json && printf 'binary' > app.bin",
            JArray.Parse("""
                [
                  {"type": "file", "path": "app.bin", "name": "public/app.bin"},
                  {"type": "directory", "path": "out", "name": "public/out"}
                ]
                """));
        await using (deployment)
        {
            var status = await deployment.StatusAsync(taskId);
            Assert.Equal("completed", status.Runs[0].State);
            Assert.Equal((HttpStatusCode.OK, "binary", "application/octet-stream"), await FetchAsync(deployment, taskId, "public/app.bin"));
            Assert.Equal((HttpStatusCode.OK, "report\n", "text/plain; charset=utf-8"), await FetchAsync(deployment, taskId, "public/out/report.txt"));
            Assert.Equal((HttpStatusCode.OK, "{}\n", "application/json"), await FetchAsync(deployment, taskId, "public/out/sub/data.json"));
        }
    }

    [Fact]
    public async Task A_missing_file_becomes_an_error_artifact_and_fails_the_task_unless_optional()
    {
        var (taskId, deployment) = await RunAsync("true", JArray.Parse("""
            [
              {"type": "file", "path": "missing.txt", "name": "public/missing.txt"},
              {"type": "file", "path": "also-missing.txt", "name": "public/optional.txt", "optional": true}
            ]
            """));
        await using (deployment)
        {
            Assert.Equal("failed", (await deployment.StatusAsync(taskId)).Runs[0].State);
            var (status, body, _) = await FetchAsync(deployment, taskId, "public/missing.txt");
            Assert.Equal((HttpStatusCode)424, status);
            Assert.Contains("missing.txt", body, StringComparison.Ordinal);
            Assert.Equal((HttpStatusCode)424, (await FetchAsync(deployment, taskId, "public/optional.txt")).Status);
            var artifacts = (await deployment.Queue.ListArtifactsAsync(taskId, 0)).Artifacts;
            Assert.Equal("error", artifacts.Single(a => a.Name == "public/missing.txt").StorageType);
        }
    }

    [Fact]
    public async Task Symlinks_inside_upload_and_symlinks_escaping_the_task_directory_are_never_read()
    {
        var secret = Path.Combine(Path.GetTempPath(), "tcw-secret-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(secret, "do not upload me");
        try
        {
            var (taskId, deployment) = await RunAsync(
                $"mkdir d && echo inside > d/real.txt && ln -s real.txt d/link.txt && ln -s {secret} d/escape.txt && ln -s {secret} top.txt",
                JArray.Parse("""
                    [
                      {"type": "directory", "path": "d", "name": "public/d"},
                      {"type": "file", "path": "top.txt", "name": "public/top.txt"},
                      {"type": "file", "path": "../../../../../../etc/hostname", "name": "public/dotdot.txt"}
                    ]
                    """));
            await using (deployment)
            {
                Assert.Equal("failed", (await deployment.StatusAsync(taskId)).Runs[0].State);
                Assert.Equal((HttpStatusCode.OK, "inside\n", "text/plain; charset=utf-8"), await FetchAsync(deployment, taskId, "public/d/real.txt"));
                Assert.Equal("inside\n", (await FetchAsync(deployment, taskId, "public/d/link.txt")).Body);
                foreach (var name in new[] { "public/d/escape.txt", "public/top.txt", "public/dotdot.txt" })
                {
                    var (status, body, _) = await FetchAsync(deployment, taskId, name);
                    Assert.Equal((HttpStatusCode)424, status);
                    Assert.DoesNotContain("do not upload me", body, StringComparison.Ordinal);
                }

                var errors = (await deployment.Queue.ListArtifactsAsync(taskId, 0)).Artifacts.Where(a => a.StorageType == "error").Select(a => a.Name).Order();
                Assert.Equal(["public/d/escape.txt", "public/dotdot.txt", "public/top.txt"], errors);
            }
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task An_expiry_after_the_tasks_is_a_malformed_payload()
    {
        var (taskId, deployment) = await RunAsync("true", JArray.Parse("""[{"type": "file", "path": "a", "expires": "2999-01-01T00:00:00Z"}]"""));
        await using (deployment)
        {
            var run = (await deployment.StatusAsync(taskId)).Runs[0];
            Assert.Equal("exception", run.State);
            Assert.Equal("malformed-payload", run.ReasonResolved);
            Assert.Contains("$.artifacts[0].expires", (await FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_live_log_reference_becomes_a_link_to_the_backing_log()
    {
        var (taskId, deployment) = await RunAsync("echo from the task", []);
        await using (deployment)
        {
            var artifacts = (await deployment.Queue.ListArtifactsAsync(taskId, 0)).Artifacts;
            Assert.Equal("link", artifacts.Single(a => a.Name == "public/logs/live.log").StorageType);
            var (status, body, _) = await FetchAsync(deployment, taskId, "public/logs/live.log");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("from the task", body, StringComparison.Ordinal);
            Assert.Equal(body, (await FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body);
        }
    }
}
