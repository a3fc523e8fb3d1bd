using System.Text;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>State and artifacts survive a restart on the same data folder.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task A_restart_mid_run_loses_nothing()
    {
        await using var h = await QueueHarness.StartAsync();
        var done = await h.CreateAsync();
        var running = await h.CreateAsync();
        var pending = await h.CreateAsync();
        var claims = (await h.ClaimAsync(tasks: 2)).Tasks;
        var runningClaim = claims.Single(c => c.Status.TaskId == running);
        await h.Client(claims.Single(c => c.Status.TaskId == done).Credentials).Queue.ReportCompletedAsync(done, 0);
        var uploader = new ArtifactUploader(h.Client(runningClaim.Credentials).Queue);
        await uploader.UploadS3Async(running, 0, "public/kept.txt", "text/plain", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("kept"))));

        await h.RestartAsync();

        Assert.Equal("completed", (await h.Root.Queue.StatusAsync(done)).Status.State);
        Assert.Equal("pending", (await h.Root.Queue.StatusAsync(pending)).Status.State);
        // the claim's credentials were issued by the same root and still work
        var taskClient = h.Client(runningClaim.Credentials);
        await taskClient.Queue.ReclaimTaskAsync(running, 0);
        var url = (await h.Root.Queue.GetArtifactAsync(running, 0, "public/kept.txt")).Url;
        using var http = new HttpClient();
        Assert.Equal("kept", await http.GetStringAsync(url));
        await taskClient.Queue.ReportCompletedAsync(running, 0);
        Assert.Equal(pending, Assert.Single((await h.ClaimAsync()).Tasks).Status.TaskId);
    }

    [Fact]
    public async Task A_killed_queue_process_restarts_with_everything_it_acknowledged()
    {
        var folder = Path.Combine(Path.GetTempPath(), "lq-kill-" + Guid.NewGuid().ToString("N"));
        const string ClientId = "static/kill-root";
        const string Token = "kill-token-0123456789abcdefghijklmnopqrstuvw";
        var credentials = new TaskclusterCredentials(ClientId, Token);
        var created = new List<string>();
        var completed = new List<string>();
        string running;
        TaskClaim runningClaim;
        try
        {
            using (var first = await QueueProcess.StartAsync(folder, ClientId, Token))
            using (var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = first.RootUrl, Credentials = credentials, MaxRetries = 0 }))
            {
                for (var i = 0; i < 20; i++)
                {
                    var taskId = QueueHarness.NewTaskId();
                    await client.Queue.CreateTaskAsync(taskId, QueueHarness.Task());
                    created.Add(taskId);
                }

                var claims = (await client.Queue.ClaimWorkAsync(QueueHarness.QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w1", Tasks = 6 })).Tasks;
                foreach (var claim in claims.Take(5))
                {
                    await client.WithCredentials(claim.Credentials).Queue.ReportCompletedAsync(claim.Status.TaskId, claim.RunId);
                    completed.Add(claim.Status.TaskId);
                }

                runningClaim = claims[5];
                running = runningClaim.Status.TaskId;
                await new ArtifactUploader(client.WithCredentials(runningClaim.Credentials).Queue)
                    .UploadS3Async(running, 0, "public/before-kill.txt", "text/plain", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("survived"))));
                first.Kill();
            }

            using var second = await QueueProcess.StartAsync(folder, ClientId, Token);
            using var again = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = second.RootUrl, Credentials = credentials, MaxRetries = 0 });
            foreach (var taskId in created)
            {
                var expected = completed.Contains(taskId) ? "completed" : taskId == running ? "running" : "pending";
                Assert.Equal(expected, (await again.Queue.StatusAsync(taskId)).Status.State);
            }

            using var http = new HttpClient();
            Assert.Equal("survived", await http.GetStringAsync((await again.Queue.GetArtifactAsync(running, 0, "public/before-kill.txt")).Url));
            await again.WithCredentials(runningClaim.Credentials).Queue.ReportCompletedAsync(running, 0);
            var rest = (await again.Queue.ClaimWorkAsync(QueueHarness.QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w1", Tasks = 32 })).Tasks;
            Assert.Equal(created.Except(completed).Where(t => t != running).Order(StringComparer.Ordinal), rest.Select(c => c.Status.TaskId).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_generated_root_token_is_kept_in_the_data_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "lq-root-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new LocalQueueOptions { DataFolder = folder, RootClientId = "root" };
            string token;
            await using (var first = await LocalQueueServer.StartAsync(options))
            {
                token = first.RootCredentials.AccessToken;
            }

            await using var second = await LocalQueueServer.StartAsync(options);
            Assert.Equal(token, second.RootCredentials.AccessToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_data_folder_from_before_content_encodings_keeps_its_blobs()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-lq-old-").FullName;
        var path = Path.Combine(folder, "queue.db");
        try
        {
            using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
            {
                old.Open();
                using var create = old.CreateCommand();
                create.CommandText = """
                    CREATE TABLE blobs (blob_key TEXT PRIMARY KEY, content_type TEXT NOT NULL, length INTEGER NOT NULL);
                    INSERT INTO blobs VALUES ('old', 'text/plain', 42);
                    """;
                create.ExecuteNonQuery();
            }

            using var db = new Storage.QueueDatabase(path);
            Assert.Equal(("text/plain", 42L, (string?)null), db.GetBlob("old"));
            db.SaveBlob("new", "text/plain", 7, "gzip");
            Assert.Equal(("text/plain", 7L, "gzip"), db.GetBlob("new"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
