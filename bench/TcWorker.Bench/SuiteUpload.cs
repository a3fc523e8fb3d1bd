using System.Diagnostics;
using System.Globalization;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>Figure 5: artifact upload through the uploader vs curl to the same kind of URL.</summary>
internal static partial class Suite
{
    private const string OctetStream = "application/octet-stream";

    /// <summary>
    /// 5. Artifact upload: N bytes of incompressible data as an <c>s3</c> artifact and as an
    /// <c>object</c> artifact through <see cref="ArtifactUploader"/> (its whole call: createArtifact,
    /// the PUT with hashing, the finish calls), vs <c>curl -T</c> of the same file to a fresh URL of
    /// the same kind from the local queue (the PUT alone). Rounds interleaved; medians.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> UploadAsync(Harness harness, BenchOptions options)
    {
        var file = Path.Combine(harness.Folder, "upload-content");
        await WriteRandomFileAsync(file, options.UploadBytes);
        try
        {
            var (client, taskId, runId, expires) = await ClaimForUploadsAsync(harness, "bench/upload");
            var uploader = new ArtifactUploader(client.Queue);
            var times = new Dictionary<string, List<double>> { ["s3"] = [], ["object"] = [], ["curl s3"] = [], ["curl object"] = [] };
            for (var i = 0; i < options.UploadRuns; i++)
            {
                var round = i.ToString(CultureInfo.InvariantCulture);
                times["curl s3"].Add(await CurlAsync(file, await S3UrlAsync(client, taskId, runId, "public/curl-s3-" + round, expires)));
                times["s3"].Add(await TimeAsync(() => uploader.UploadS3Async(taskId, runId, "public/s3-" + round, OctetStream, expires, OpenFile(file))));
                times["curl object"].Add(await CurlAsync(file, await ObjectUrlAsync(client, taskId, runId, "public/curl-object-" + round, expires, options.UploadBytes)));
                times["object"].Add(await TimeAsync(() => uploader.UploadObjectAsync(taskId, runId, "public/object-" + round, OctetStream, expires, OpenFile(file))));
            }

            var mib = options.UploadBytes / (double)(1 << 20);
            return [Row("s3"), Row("object")];

            Figure Row(string kind)
            {
                var rate = mib / Stats.Median(times[kind]);
                var curl = mib / Stats.Median(times["curl " + kind]);
                return new($"artifact upload, {kind} ({mib:F0} MiB, local queue) vs `curl -T`", "MiB/s", rate, curl, rate / curl, ">= 0.9x curl", rate / curl >= 0.9);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A task claimed by hand, so that artifacts can be uploaded to its run: the claim's client, the run and an expiry within the claim.</summary>
    private static async Task<(TaskclusterClient Client, string TaskId, int RunId, DateTimeOffset Expires)> ClaimForUploadsAsync(Harness harness, string queue)
    {
        var taskId = await harness.CreateTaskAsync(queue, "true");
        var claim = (await harness.Client.Queue.ClaimWorkAsync(queue, new() { WorkerGroup = "bench", WorkerId = "upload", Tasks = 1 })).Tasks.Single();
        return (harness.Client.WithCredentials(claim.Credentials), taskId, claim.RunId, DateTimeOffset.UtcNow.AddMinutes(50));
    }

    private static Func<CancellationToken, Task<Stream>> OpenFile(string path) => _ => Task.FromResult<Stream>(File.OpenRead(path));

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<(string Url, IReadOnlyDictionary<string, string> Headers)> S3UrlAsync(TaskclusterClient client, string taskId, int runId, string name, DateTimeOffset expires)
    {
        var artifact = await client.Queue.CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.S3(expires, OctetStream));
        return (artifact.PutUrl!, new Dictionary<string, string> { ["Content-Type"] = artifact.ContentType ?? OctetStream });
    }

    private static async Task<(string Url, IReadOnlyDictionary<string, string> Headers)> ObjectUrlAsync(TaskclusterClient client, string taskId, int runId, string name, DateTimeOffset expires, long length)
    {
        var artifact = await client.Queue.CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.Object(expires, OctetStream));
        var upload = await client.WithCredentials(artifact.Credentials).Object.CreateUploadAsync(artifact.Name!, new CreateUploadRequest
        {
            ProjectId = artifact.ProjectId!,
            UploadId = artifact.UploadId!,
            Expires = artifact.Expires ?? expires,
            ProposedUploadMethods = new() { PutUrl = new() { ContentType = OctetStream, ContentLength = length } },
        });
        var put = upload.UploadMethod.PutUrl ?? throw new InvalidOperationException("the object service offered no putUrl");
        return (put.Url, put.Headers);
    }

    /// <summary>The PUT alone: <c>curl -T</c> with the URL's headers; seconds.</summary>
    private static async Task<double> CurlAsync(string file, (string Url, IReadOnlyDictionary<string, string> Headers) target)
    {
        var argv = new List<string> { "curl", "-sS", "--fail", "-o", "/dev/null", "-H", "Expect:", "-T", file };
        foreach (var (name, value) in target.Headers)
        {
            argv.AddRange(["-H", $"{name}: {value}"]);
        }

        argv.Add(target.Url);
        return await Spawner.TimeCheckedAsync([.. argv]) / 1000;
    }

    /// <summary>Incompressible content, so no transfer encoding can shrink it.</summary>
    private static async Task WriteRandomFileAsync(string path, long length)
    {
        var random = new Random(5);
        var chunk = new byte[1 << 20];
        await using var output = File.Create(path);
        for (var written = 0L; written < length; written += chunk.Length)
        {
            random.NextBytes(chunk);
            await output.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - written)));
        }
    }
}
