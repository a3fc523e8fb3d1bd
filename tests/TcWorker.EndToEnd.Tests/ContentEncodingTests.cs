using System.Globalization;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// How uploaded artifacts are encoded: gzip for compressible files and the task log where the
/// storage type allows it (s3), identity for compressed extensions, unknown types and object
/// storage, and the payload's <c>contentEncoding</c> overriding the choice. Fetched back with a
/// client that does not decode and with one that does. The bucket variant runs on s3rver, which
/// does not verify signatures: it proves bytes and headers, not signing.
/// </summary>
public sealed class ContentEncodingTests
{
    private const string Script = """
        mkdir -p enc raw
        seq 1 20000 > enc/report.txt
        seq 1 3000 > enc/data.json
        seq 1 2000 > shot.png
        seq 1 1000 | gzip -n -c > archive.gz
        seq 1 5000 > forced.txt
        seq 1 4000 > raw/a.dat
        seq 1 6000 > raw/b.dat
        echo from the task
        """;

    private static readonly JArray Artifacts = JArray.Parse("""
        [
          {"type": "directory", "path": "enc", "name": "public/enc"},
          {"type": "file", "path": "shot.png", "name": "public/shot.png"},
          {"type": "file", "path": "archive.gz", "name": "public/archive.gz"},
          {"type": "file", "path": "forced.txt", "name": "public/forced.txt", "contentEncoding": "identity"},
          {"type": "directory", "path": "raw", "name": "public/raw", "contentEncoding": "gzip"}
        ]
        """);

    /// <summary>Each uploaded file: its name, the <c>seq 1 n</c> it holds, its content type, and whether s3 storage gzips it.</summary>
    private static readonly (string Name, int Lines, string Type, bool GzipOnS3)[] Expected =
    [
        ("public/enc/report.txt", 20000, "text/plain; charset=utf-8", true),
        ("public/enc/data.json", 3000, "application/json", true),
        ("public/shot.png", 2000, "image/png", false),
        ("public/forced.txt", 5000, "text/plain; charset=utf-8", false),
        ("public/raw/a.dat", 4000, "application/octet-stream", true),
        ("public/raw/b.dat", 6000, "application/octet-stream", true),
    ];

    [Fact]
    public Task S3_storage_on_the_folder_store_gzips_compressible_files_and_the_task_log() => AssertS3StorageAsync(null);

    [SkippableFact]
    public async Task S3_storage_on_an_s3_bucket_gzips_compressible_files_and_the_task_log()
    {
        await using var s3 = await S3rverProcess.StartAsync("encodings");
        await AssertS3StorageAsync(new LocalQueueS3Options
        {
            Endpoint = s3.Endpoint,
            Bucket = s3.Bucket,
            AccessKeyId = S3rverProcess.AccessKeyId,
            SecretAccessKey = S3rverProcess.SecretAccessKey,
            ForcePathStyle = true,
        });
    }

    [Fact]
    public async Task Object_storage_stores_every_artifact_as_is_and_notes_a_gzip_request_once()
    {
        await using var deployment = await Deployment.StartAsync();
        var taskId = await RunAsync(deployment, "object");

        foreach (var (name, lines, type, _) in Expected)
        {
            await StoredContent.AssertIdentityAsync(Url(deployment, taskId, name), Seq(lines), type);
        }

        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        Assert.Contains("from the task", log, StringComparison.Ordinal);
        // both files of public/raw ask for gzip: one line says it
        Assert.Single(log.Split('\n'), line => line.Contains("object storage keeps artifacts with identity encoding", StringComparison.Ordinal));
        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);
    }

    private static async Task AssertS3StorageAsync(LocalQueueS3Options? bucket)
    {
        await using var deployment = await Deployment.StartAsync(s3: bucket);
        var taskId = await RunAsync(deployment, "s3");
        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);

        foreach (var (name, lines, type, gzip) in Expected)
        {
            var url = Url(deployment, taskId, name);
            await (gzip ? StoredContent.AssertGzipAsync(url, Seq(lines), type) : StoredContent.AssertIdentityAsync(url, Seq(lines), type));
        }

        // a .gz file is stored as the file it is: no Content-Encoding, the body is the task's gzip file
        using (var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }))
        {
            using var response = await raw.GetAsync(Url(deployment, taskId, "public/archive.gz"));
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Equal("application/gzip", response.Content.Headers.ContentType?.ToString());
            Assert.Equal(Seq(1000), StoredContent.Gunzip(await response.Content.ReadAsByteArrayAsync()));
        }

        // the task log: gzip on the wire, the log itself once decoded, also through the live.log link
        var log = Encoding.UTF8.GetString(await DecodedAsync(Url(deployment, taskId, "public/logs/live_backing.log")));
        Assert.Contains("from the task", log, StringComparison.Ordinal);
        await StoredContent.AssertGzipAsync(Url(deployment, taskId, "public/logs/live_backing.log"), Encoding.UTF8.GetBytes(log), "text/plain; charset=utf-8");
        await StoredContent.AssertGzipAsync(Url(deployment, taskId, "public/logs/live.log"), Encoding.UTF8.GetBytes(log), "text/plain; charset=utf-8");
    }

    /// <summary>The gzip files still under a worker's temporary folder (none once uploads are done).</summary>
    internal static IEnumerable<string> Spooled(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "tcw-gzip-*", SearchOption.AllDirectories) : [];

    private static async Task<string> RunAsync(Deployment deployment, string storage)
    {
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", Script) },
            ["artifacts"] = Artifacts,
        });
        using var lifetime = new WorkerLifetime();
        var config = deployment.Config(tasks: 1, worker: w => w["artifactStorage"] = storage);
        await Deployment.RunWorkerAsync(config, lifetime);
        Assert.Empty(Spooled((string)config["temporaryFolder"]!));
        return taskId;
    }

    private static Uri Url(Deployment deployment, string taskId, string name) => deployment.Queue.BuildSignedArtifactUrl(taskId, 0, name, TimeSpan.FromMinutes(5));

    private static async Task<byte[]> DecodedAsync(Uri url)
    {
        using var decoding = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.All });
        return await decoding.GetByteArrayAsync(url);
    }

    /// <summary>What <c>seq 1 n</c> prints.</summary>
    internal static byte[] Seq(int n)
    {
        var text = new StringBuilder();
        for (var i = 1; i <= n; i++)
        {
            text.Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
