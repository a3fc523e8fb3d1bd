using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The queue goes away while a task's artifact is being uploaded, and comes back on the same port and data.</summary>
public sealed class UploadInterruptionTests
{
    private const string Line = "0123456789abcdef\n";
    private const int Bytes = 128 << 20;

    [Fact]
    public async Task An_artifact_upload_cut_by_a_queue_restart_is_retried_and_the_resolution_arrives()
    {
        await using var deployment = await Deployment.StartAsync(fixedPort: true);
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", $"yes 0123456789abcdef | head -c {Bytes} > big.txt") },
            ["artifacts"] = JArray.Parse("""[{"type": "file", "path": "big.txt", "name": "public/big.txt"}]"""),
        });
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        // createArtifact has answered: the content is on its way now.
        await Deployment.WaitUntilAsync(() => deployment.Queue.ListArtifactsAsync(taskId, 0).GetAwaiter().GetResult().Artifacts.Any(a => a.Name == "public/big.txt"), "the upload starts", TimeSpan.FromSeconds(90));
        await deployment.RestartQueueAsync(TimeSpan.FromSeconds(3));

        await worker.WaitAsync(TimeSpan.FromSeconds(120));
        var run = Assert.Single((await deployment.StatusAsync(taskId)).Runs);
        Assert.True(run.State == "completed", $"run resolved {run.State}/{run.ReasonResolved}");
        using var http = new HttpClient();
        await using var content = await http.GetStreamAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, "public/big.txt", TimeSpan.FromMinutes(5)));
        Assert.Equal(Convert.ToHexString(Expected()), Convert.ToHexString(await SHA256.HashDataAsync(content)));
    }

    /// <summary>The SHA-256 of what the task writes: the line repeated, cut at <see cref="Bytes"/>.</summary>
    private static byte[] Expected()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Line, 1 << 16)));
        for (var left = Bytes; left > 0; left -= block.Length)
        {
            hash.AppendData(block, 0, Math.Min(left, block.Length));
        }

        return hash.GetHashAndReset();
    }
}
