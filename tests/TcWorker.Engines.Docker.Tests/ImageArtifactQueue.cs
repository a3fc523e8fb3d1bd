using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using K4os.Compression.LZ4.Streams;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Taskcluster;
using TcWorker.Tasks;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>
/// A local queue holding one completed task that published a test image as artifacts, in every form
/// (docker save tarball plain, .gz, .zst, .lz4; an OCI layout; a private copy; archives that are not
/// images), indexed at <see cref="Namespace"/>. Tasks that use them are created and claimed for real,
/// so the engine reads the artifacts with real claim credentials.
/// </summary>
internal sealed class ImageArtifactQueue : IAsyncDisposable
{
    public const string Namespace = "tcw-test.images.busybox";
    public const string Output = "tcw-from-the-artifact";
    public const string Pool = "tcw-test/images";
    private const string Repository = "tcw-test/artifact";

    private ImageArtifactQueue(LocalQueueServer server, TaskclusterClient root, string imageTaskId, string imageId)
    {
        Server = server;
        Root = root;
        ImageTaskId = imageTaskId;
        ImageId = imageId;
    }

    public LocalQueueServer Server { get; }

    public TaskclusterClient Root { get; }

    /// <summary>The task whose artifacts are the images.</summary>
    public string ImageTaskId { get; }

    /// <summary>The id of the published image: its own (an import of this run), whatever names the engine gives it when loaded.</summary>
    public string ImageId { get; }

    /// <summary>
    /// Builds the image (a busybox whose default command prints <see cref="Output"/>), saves it, removes it
    /// from the daemon (only a load can bring it back), and publishes it.
    /// </summary>
    public static async Task<ImageArtifactQueue> StartAsync(DockerClient docker)
    {
        await DockerDaemon.ImportBusyboxAsync(docker, Repository, "1", Output);
        var imageId = (await docker.Images.InspectImageAsync($"{Repository}:1")).ID;
        byte[] saved;
        using (var memory = new MemoryStream())
        {
            await using (var stream = await docker.Images.SaveImageAsync($"{Repository}:1"))
            {
                await stream.CopyToAsync(memory);
            }

            saved = memory.ToArray();
        }

        await docker.Images.DeleteImageAsync($"{Repository}:1", new ImageDeleteParameters { Force = true });
        var server = await LocalQueueServer.StartAsync(new LocalQueueOptions { ClaimWorkWait = TimeSpan.FromSeconds(1) });
        var root = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.RootUrl, Credentials = server.RootCredentials });
        var taskId = Slugid.Nice();
        await root.Queue.CreateTaskAsync(taskId, Definition([], [], new JArray($"index.{Namespace}")));
        var claim = Assert.Single((await Claim(root)).Tasks);
        var uploader = new ArtifactUploader(root.WithCredentials(claim.Credentials).Queue);
        var artifacts = new Dictionary<string, byte[]>
        {
            ["public/image.tar"] = saved,
            ["public/image.tar.gz"] = Compress(saved, s => new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true)),
            ["public/image.tar.zst"] = Compress(saved, s => new ZstdSharp.CompressionStream(s, leaveOpen: true)),
            ["public/image.tar.lz4"] = Compress(saved, s => LZ4Stream.Encode(s, leaveOpen: true)),
            ["public/oci.tar"] = OciLayout(saved),
            ["private/image.tar.zst"] = Compress(saved, s => new ZstdSharp.CompressionStream(s, leaveOpen: true)),
            ["public/not-an-image.tar"] = Tar(("hello.txt", "not an image"u8.ToArray())),
            ["public/random.tar.gz"] = RandomNumberGenerator.GetBytes(4096),
        };
        foreach (var (name, content) in artifacts)
        {
            await uploader.UploadS3Async(taskId, 0, name, "application/x-tar", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(content)));
        }

        await root.WithCredentials(claim.Credentials).Queue.ReportCompletedAsync(taskId, 0);
        return new ImageArtifactQueue(server, root, taskId, imageId);
    }

    /// <summary>Creates a task that depends on the image task, with these scopes and payload image, and claims it.</summary>
    public async Task<ClaimedTaskContext> ClaimAsync(TestTaskContext log, JObject image, params string[] scopes)
    {
        var taskId = Slugid.Nice();
        var definition = Definition(new JArray(ImageTaskId), new JArray(scopes), []);
        definition["payload"] = new JObject { ["image"] = image };
        await Root.Queue.CreateTaskAsync(taskId, definition);
        var claim = Assert.Single((await Claim(Root)).Tasks);
        Assert.Equal(taskId, claim.Status.TaskId);
        return new ClaimedTaskContext(claim, Server.RootUrl, log);
    }

    /// <summary>Removes the published image from the daemon, with every name the engine gave it when loading it.</summary>
    public async Task RemoveLoadedAsync(DockerClient docker)
    {
        try
        {
            await docker.Images.DeleteImageAsync(ImageId, new ImageDeleteParameters { Force = true });
        }
        catch (DockerImageNotFoundException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Root.Dispose();
        await Server.DisposeAsync();
    }

    private static Task<ClaimWorkResponse> Claim(TaskclusterClient root) =>
        root.Queue.ClaimWorkAsync(Pool, new ClaimWorkRequest { WorkerGroup = "tests", WorkerId = "images", Tasks = 1 });

    private static JObject Definition(JArray dependencies, JArray scopes, JArray routes)
    {
        var now = DateTimeOffset.UtcNow;
        return new JObject
        {
            ["provisionerId"] = Pool.Split('/')[0],
            ["workerType"] = Pool.Split('/')[1],
            ["created"] = now.ToString("O"),
            ["deadline"] = now.AddHours(1).ToString("O"),
            ["expires"] = now.AddDays(2).ToString("O"),
            ["dependencies"] = dependencies,
            ["scopes"] = scopes,
            ["routes"] = routes,
            ["payload"] = new JObject(),
            ["metadata"] = new JObject { ["name"] = "image test", ["description"] = "image test", ["owner"] = "tests@tcworker.invalid", ["source"] = "https://tcworker.invalid/tests" },
        };
    }

    private static byte[] Compress(byte[] content, Func<Stream, Stream> compressor)
    {
        using var memory = new MemoryStream();
        using (var compressing = compressor(memory))
        {
            compressing.Write(content);
        }

        return memory.ToArray();
    }

    private static byte[] Tar(params (string Name, byte[] Content)[] files)
    {
        using var memory = new MemoryStream();
        using (var writer = new TarWriter(memory, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return memory.ToArray();
    }

    /// <summary>The image of a docker save tarball as an OCI image layout with gzip layers and no manifest.json, as Docker 20.10 cannot load it.</summary>
    private static byte[] OciLayout(byte[] saved)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var reader = new TarReader(new MemoryStream(saved)))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.DataStream is { } data)
                {
                    using var copy = new MemoryStream();
                    data.CopyTo(copy);
                    files[entry.Name] = copy.ToArray();
                }
            }
        }

        var manifest = (JObject)JArray.Parse(Encoding.UTF8.GetString(files["manifest.json"]))[0];
        var blobs = new List<(string Name, byte[] Content)>();
        JObject Blob(string mediaType, byte[] content)
        {
            var hex = Convert.ToHexStringLower(SHA256.HashData(content));
            blobs.Add(($"blobs/sha256/{hex}", content));
            return new JObject { ["mediaType"] = mediaType, ["digest"] = $"sha256:{hex}", ["size"] = content.Length };
        }

        var config = Blob("application/vnd.oci.image.config.v1+json", files[(string)manifest["Config"]!]);
        var layers = manifest["Layers"]!.Select(l => Blob("application/vnd.oci.image.layer.v1.tar+gzip", Compress(files[(string)l!], s => new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true)))).ToList();
        var imageManifest = new JObject { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["config"] = config, ["layers"] = new JArray(layers) };
        var descriptor = Blob("application/vnd.oci.image.manifest.v1+json", Encoding.UTF8.GetBytes(imageManifest.ToString()));
        descriptor["platform"] = new JObject { ["os"] = "linux", ["architecture"] = "amd64" };
        var index = new JObject { ["schemaVersion"] = 2, ["manifests"] = new JArray(descriptor) };
        return Tar([.. blobs, ("index.json", Encoding.UTF8.GetBytes(index.ToString())), ("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray())]);
    }
}

/// <summary>A claimed task as the engine sees it: the claim's task, scopes and credentials, the log of a test task context.</summary>
internal sealed class ClaimedTaskContext(TaskClaim claim, string rootUrl, TestTaskContext log) : ITaskContext
{
    public string TaskId => claim.Status.TaskId;

    public int RunId => claim.RunId;

    public JObject Task => claim.Task;

    public DateTimeOffset Created => log.Created;

    public DateTimeOffset Deadline => log.Deadline;

    public DateTimeOffset Expires => log.Expires;

    public IReadOnlyList<string> Scopes => [.. claim.Task["scopes"]!.Values<string>().OfType<string>()];

    public string RootUrl => rootUrl;

    public ITaskLog Log => log.Log;

    public string LogText => log.LogText;

    public CancellationToken Aborted => log.Aborted;

    public TaskCredentials Credentials => new(claim.Credentials.ClientId, claim.Credentials.AccessToken, claim.Credentials.Certificate, claim.TakenUntil);

    public IArtifactPublisher Artifacts => log.Artifacts;

    public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => scopeSets.Any(set => ScopeSatisfaction.SatisfiesAll(Scopes, set));
}
