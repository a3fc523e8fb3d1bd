using Docker.DotNet.Models;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Taskcluster;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The queue of published images, once for the test class (null while the daemon tests skip).</summary>
public sealed class ArtifactImageFixture : IAsyncLifetime
{
    internal ImageArtifactQueue? Queue { get; private set; }

    public async Task InitializeAsync()
    {
        if (DockerDaemon.Current is { Client: { } client })
        {
            Queue = await ImageArtifactQueue.StartAsync(client);
        }
    }

    public async Task DisposeAsync()
    {
        if (Queue is not null)
        {
            await Queue.RemoveLoadedAsync(DockerDaemon.Current!.RequiredClient);
            await Queue.DisposeAsync();
        }
    }
}

/// <summary>Images published as artifacts (task-image, indexed-image), read from a real local queue with the claimed task's credentials and loaded into the test daemon.</summary>
[Collection(DockerCollection.Name)]
public sealed class ArtifactImageTests(DockerDaemon daemon, ArtifactImageFixture fixture) : IClassFixture<ArtifactImageFixture>
{
    private ImageArtifactQueue Queue
    {
        get
        {
            Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
            return fixture.Queue!;
        }
    }

    [SkippableTheory]
    [InlineData("public/image.tar")]
    [InlineData("public/image.tar.gz")]
    [InlineData("public/image.tar.zst")]
    [InlineData("public/image.tar.lz4")]
    [InlineData("public/oci.tar")]
    public async Task A_task_image_runs_from_a_docker_save_tarball_in_each_compression_and_from_an_oci_layout(string path)
    {
        var queue = Queue;
        // So that this load has to bring the image's layers itself.
        await queue.RemoveLoadedAsync(daemon.RequiredClient);
        await using var engine = await EngineFixture.StartAsync();
        var task = await queue.ClaimAsync(engine.NewTask(), TaskImage(queue.ImageTaskId, path));
        var log = await RunAsync(engine, task);
        Assert.Contains($"Loading the image from the artifact {path} of the task {queue.ImageTaskId}", log, StringComparison.Ordinal);
        Assert.Contains(ImageArtifactQueue.Output, log, StringComparison.Ordinal);

        // Loaded without the names the archive carried, under the engine's own.
        var images = await daemon.RequiredClient.Images.ListImagesAsync(new ImagesListParameters { All = true });
        Assert.DoesNotContain(images, i => i.RepoTags?.Contains("tcw-test/artifact:1") == true);
        Assert.Contains(images, i => i.RepoTags?.Any(t => t.StartsWith("tcworker/task-image:", StringComparison.Ordinal)) == true);
    }

    [SkippableFact]
    public async Task An_indexed_image_is_found_through_the_index()
    {
        var queue = Queue;
        await using var engine = await EngineFixture.StartAsync();
        var image = new JObject { ["type"] = "indexed-image", ["namespace"] = ImageArtifactQueue.Namespace, ["path"] = "public/image.tar.zst" };
        var log = await RunAsync(engine, await queue.ClaimAsync(engine.NewTask(), image));
        Assert.Contains($"the artifact public/image.tar.zst of the task {queue.ImageTaskId}", log, StringComparison.Ordinal);
        Assert.Contains(ImageArtifactQueue.Output, log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_private_image_needs_the_scope_even_when_it_is_already_loaded_and_a_second_task_pays_no_load()
    {
        var queue = Queue;
        await using var engine = await EngineFixture.StartAsync();
        var image = TaskImage(queue.ImageTaskId, "private/image.tar.zst");
        const string scope = "queue:get-artifact:private/image.tar.zst";

        var first = await RunAsync(engine, await queue.ClaimAsync(engine.NewTask(), image, scope));
        Assert.Contains("Loading the image from the artifact private/image.tar.zst", first, StringComparison.Ordinal);

        var refused = await queue.ClaimAsync(engine.NewTask(), image, "queue:get-artifact:public/*");
        var e = await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = refused, Payload = new JObject { ["image"] = image } }));
        Assert.Contains($"this task may not read the artifact private/image.tar.zst of the task {queue.ImageTaskId}: its scopes lack {scope}", e.Message, StringComparison.Ordinal);

        var second = await RunAsync(engine, await queue.ClaimAsync(engine.NewTask(), image, scope));
        Assert.Contains("loaded on this worker from the artifact private/image.tar.zst", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Loading the image", second, StringComparison.Ordinal);
        Assert.Contains(ImageArtifactQueue.Output, second, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Bad_image_artifacts_are_malformed_payload_naming_what_is_wrong()
    {
        var queue = Queue;
        await using var engine = await EngineFixture.StartAsync();
        var cases = new (JObject Image, string Message)[]
        {
            (TaskImage(queue.ImageTaskId, "public/not-an-image.tar"), $"payload.image: the artifact public/not-an-image.tar of the task {queue.ImageTaskId} is not a loadable image (a docker save tarball or an OCI image layout, plain or .gz, .zst, .lz4): it has neither the manifest.json"),
            (TaskImage(queue.ImageTaskId, "public/random.tar.gz"), "public/random.tar.gz of the task " + queue.ImageTaskId + " is not a loadable image (a docker save tarball or an OCI image layout, plain or .gz, .zst, .lz4): it is not a tar archive"),
            (TaskImage(queue.ImageTaskId, "public/missing.tar"), $"payload.image: the artifact public/missing.tar of the task {queue.ImageTaskId} does not exist"),
            (new JObject { ["type"] = "indexed-image", ["namespace"] = "tcw-test.nothing.here", ["path"] = "public/image.tar" }, "payload.image.namespace: no task is indexed at 'tcw-test.nothing.here'"),
            (TaskImage(Slugid.Nice(), "public/image.tar"), "must be among the task's dependencies"),
        };
        foreach (var (image, message) in cases)
        {
            var task = await queue.ClaimAsync(engine.NewTask(), image);
            var e = await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = new JObject { ["image"] = image } }));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }
    }

    private static JObject TaskImage(string taskId, string path) => new() { ["type"] = "task-image", ["taskId"] = taskId, ["path"] = path };

    private static async Task<string> RunAsync(EngineFixture engine, ClaimedTaskContext task)
    {
        await using var builder = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = new JObject { ["image"] = task.Task["payload"]!["image"] } });
        await using var sandbox = await builder.StartAsync();
        await using var result = await sandbox.WaitForResultAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Success, task.LogText);
        return task.LogText;
    }
}
