using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// Artifacts of native-engine tasks kept in an S3-compatible bucket (a real s3rver on loopback):
/// the local queue's own store in S3 mode, and the artifacts plugin's bucket mode. s3rver does not
/// verify SigV4 signatures, so these tests prove keys, bytes and headers, not signing.
/// </summary>
public sealed class S3ArtifactTests
{
    [SkippableFact]
    public async Task A_queue_in_s3_mode_takes_files_folders_and_the_task_log_into_the_bucket()
    {
        await using var s3 = await S3rverProcess.StartAsync("queue");
        await using var deployment = await Deployment.StartAsync(s3: new LocalQueueS3Options
        {
            Endpoint = s3.Endpoint,
            Bucket = s3.Bucket,
            AccessKeyId = S3rverProcess.AccessKeyId,
            SecretAccessKey = S3rverProcess.SecretAccessKey,
            ForcePathStyle = true,
        });
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "mkdir -p out/sub && echo report > out/report.txt && echo '{}' > out/sub/data.json && printf 'binary' > app.bin && echo from the task") },
            ["artifacts"] = JArray.Parse("""
                [
                  {"type": "file", "path": "app.bin", "name": "public/app.bin"},
                  {"type": "directory", "path": "out", "name": "public/out"}
                ]
                """),
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);
        Assert.Equal((HttpStatusCode.OK, "binary", "application/octet-stream"), await ArtifactTests.FetchAsync(deployment, taskId, "public/app.bin"));
        Assert.Equal((HttpStatusCode.OK, "report\n", "text/plain; charset=utf-8"), await ArtifactTests.FetchAsync(deployment, taskId, "public/out/report.txt"));
        Assert.Equal((HttpStatusCode.OK, "{}\n", "application/json"), await ArtifactTests.FetchAsync(deployment, taskId, "public/out/sub/data.json"));
        var log = await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live.log");
        Assert.Equal(HttpStatusCode.OK, log.Status);
        Assert.Contains("from the task", log.Body, StringComparison.Ordinal);
        foreach (var name in new[] { "public/app.bin", "public/out/report.txt", "public/logs/live_backing.log" })
        {
            Assert.StartsWith(s3.Endpoint.AbsoluteUri + s3.Bucket + "/", (await deployment.Queue.GetArtifactAsync(taskId, 0, name)).Url, StringComparison.Ordinal);
        }

        using var client = Client(s3);
        var objects = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = s3.Bucket });
        Assert.Equal(4, objects.S3Objects.Count);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(deployment.Options.DataFolder!, "artifacts")));
    }

    [SkippableFact]
    public async Task Bucket_mode_puts_files_in_the_operators_bucket_and_creates_references_to_them()
    {
        await using var s3 = await S3rverProcess.StartAsync("operator");
        await using var deployment = await Deployment.StartAsync();
        const int Lines = 3_000_000; // seq 1 3000000: about 20.9 MB, five 5 MiB parts
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", $"mkdir -p out/sub && echo hello > small.txt && echo '{{}}' > 'out/sub/da ta.json' && seq 1 {Lines} > big.txt && cp big.txt big.log && printf 'binary' > app.bin") },
            ["artifacts"] = JArray.Parse("""
                [
                  {"type": "file", "path": "small.txt", "name": "public/small.txt"},
                  {"type": "file", "path": "big.txt", "name": "public/big.txt", "contentType": "text/x-numbers", "contentEncoding": "identity"},
                  {"type": "file", "path": "big.log", "name": "public/big.log"},
                  {"type": "file", "path": "app.bin", "name": "public/app.bin"},
                  {"type": "directory", "path": "out", "name": "public/out"}
                ]
                """),
        });
        var config = deployment.Config(tasks: 1);
        config["plugins"]!["artifacts"] = JObject.FromObject(new
        {
            bucket = new Dictionary<string, object>
            {
                ["endpoint"] = s3.Endpoint.AbsoluteUri,
                ["bucket"] = s3.Bucket,
                ["prefix"] = "ci/",
                ["accessKeyId"] = S3rverProcess.AccessKeyId,
                ["secretAccessKey"] = new Dictionary<string, string> { ["$env"] = "E2E_BUCKET_SECRET" },
                ["forcePathStyle"] = true,
                ["partSizeMiB"] = 5,
                ["partConcurrency"] = 3,
            },
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(config, lifetime, name => name == "E2E_BUCKET_SECRET" ? S3rverProcess.SecretAccessKey : null);

        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);
        var expectedBig = new StringBuilder();
        for (var i = 1; i <= Lines; i++)
        {
            expectedBig.Append(i).Append('\n');
        }

        var bigBytes = Encoding.ASCII.GetBytes(expectedBig.ToString());
        var expected = new[]
        {
            (Name: "public/small.txt", Type: "text/plain; charset=utf-8", Gzip: true, Bytes: Encoding.ASCII.GetBytes("hello\n")),
            (Name: "public/big.txt", Type: "text/x-numbers", Gzip: false, Bytes: bigBytes),
            (Name: "public/big.log", Type: "text/plain; charset=utf-8", Gzip: true, Bytes: bigBytes),
            (Name: "public/app.bin", Type: "application/octet-stream", Gzip: false, Bytes: Encoding.ASCII.GetBytes("binary")),
            (Name: "public/out/sub/da ta.json", Type: "application/json", Gzip: true, Bytes: Encoding.ASCII.GetBytes("{}\n")),
        };
        var artifacts = (await deployment.Queue.ListArtifactsAsync(taskId, 0)).Artifacts;
        using var client = Client(s3);
        foreach (var (name, type, gzip, bytes) in expected)
        {
            Assert.Equal("reference", artifacts.Single(a => a.Name == name).StorageType);
            var key = $"ci/{taskId}/0/{name}";
            var url = (await deployment.Queue.GetArtifactAsync(taskId, 0, name)).Url;
            Assert.Equal(s3.Endpoint.AbsoluteUri + s3.Bucket + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString)), url);
            using var stored = await client.GetObjectAsync(s3.Bucket, key);
            Assert.Equal(type, stored.Headers.ContentType);
            using var read = new MemoryStream();
            await stored.ResponseStream.CopyToAsync(read);
            Assert.True((gzip ? "gzip" : null) == stored.Headers.ContentEncoding, $"{name}: Content-Encoding {stored.Headers.ContentEncoding}");
            var content = gzip ? StoredContent.Gunzip(read.ToArray()) : read.ToArray();
            Assert.Equal(bytes.Length, content.Length);
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(content));
        }

        // the reference redirects to the object (s3rver serves it without authentication)
        await StoredContent.AssertGzipAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, "public/small.txt", TimeSpan.FromMinutes(5)), Encoding.ASCII.GetBytes("hello\n"), "text/plain; charset=utf-8");
        await StoredContent.AssertIdentityAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, "public/app.bin", TimeSpan.FromMinutes(5)), Encoding.ASCII.GetBytes("binary"), "application/octet-stream");
        // the task log still goes through the queue
        // s3rver's multipart ETag is a plain MD5 (no "-5" suffix), so the part count comes from the log
        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        Assert.Contains("Uploaded artifact public/big.txt to the bucket in 5 parts\n", log, StringComparison.Ordinal);
        // about 6.4 MB once compressed: two 5 MiB parts, and the multipart upload keeps the encoding
        Assert.Contains("Uploaded artifact public/big.log to the bucket in 2 parts (gzip)", log, StringComparison.Ordinal);
        Assert.Contains("Uploaded artifact public/small.txt to the bucket (gzip)", log, StringComparison.Ordinal);
        Assert.Contains("Uploaded artifact public/app.bin to the bucket\n", log, StringComparison.Ordinal);
        Assert.Empty(ContentEncodingTests.Spooled((string)config["temporaryFolder"]!));
    }

    private static AmazonS3Client Client(S3rverProcess s3) => new(
        new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
        new AmazonS3Config { ServiceURL = s3.Endpoint.AbsoluteUri, ForcePathStyle = true, AuthenticationRegion = "us-east-1", UseHttp = true });
}
