using Moq;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The payload the engine owns: image forms and the capability gates (no daemon needed).</summary>
public sealed class DockerPayloadTests
{
    private static readonly WorkerIdentity Identity = new("proj/docker", "group", "worker-1");

    [Theory]
    [InlineData("busybox", "docker.io", "busybox:latest")]
    [InlineData("library/busybox:1.36", "docker.io", "library/busybox:1.36")]
    [InlineData("127.0.0.1:5000/team/tool:2", "127.0.0.1:5000", "127.0.0.1:5000/team/tool:2")]
    [InlineData("ghcr.io/team/tool@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io", "ghcr.io/team/tool@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("localhost/tool:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost", "localhost/tool@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Image_names_give_registry_and_reference(string name, string registry, string reference)
    {
        var payload = Parse(new JObject { ["image"] = name });
        var image = Assert.IsType<ImageReference>(payload.Image);
        Assert.Equal(registry, image.Registry);
        Assert.Equal(reference, image.Reference);
    }

    [Fact]
    public void A_docker_image_object_names_the_image_and_the_command_is_one_argv()
    {
        var payload = Parse(new JObject { ["image"] = new JObject { ["type"] = "docker-image", ["name"] = "ubuntu:24.04" }, ["command"] = new JArray("bash", "-c", "ls") });
        Assert.Equal("ubuntu:24.04", Assert.IsType<ImageReference>(payload.Image).Reference);
        Assert.Equal(["bash", "-c", "ls"], payload.Command);
    }

    [Fact]
    public void Task_and_indexed_images_name_their_artifact_and_a_task_image_must_be_a_dependency()
    {
        const string dependency = "fN1Qj5XWRBqDvRFwVTmZsA";
        var task = Parse(new JObject { ["image"] = new JObject { ["type"] = "task-image", ["taskId"] = dependency, ["path"] = "public/image.tar.zst" } }, dependencies: [dependency]);
        Assert.Equal(new ImageArtifact(dependency, null, "public/image.tar.zst"), task.Image);
        var indexed = Parse(new JObject { ["image"] = new JObject { ["type"] = "indexed-image", ["namespace"] = "proj.images.latest", ["path"] = "public/image.tar" } });
        Assert.Equal(new ImageArtifact(null, "proj.images.latest", "public/image.tar"), indexed.Image);

        var notADependency = Assert.Throws<MalformedPayloadException>(() => Parse(new JObject { ["image"] = new JObject { ["type"] = "task-image", ["taskId"] = dependency, ["path"] = "public/image.tar" } }));
        Assert.Contains($"payload.image.taskId: the image's task {dependency} must be among the task's dependencies", notADependency.Message, StringComparison.Ordinal);
        var notATaskId = Assert.Throws<MalformedPayloadException>(() => Parse(new JObject { ["image"] = new JObject { ["type"] = "task-image", ["taskId"] = "x", ["path"] = "public/image.tar" } }, dependencies: ["x"]));
        Assert.Contains("payload.image.taskId: 'x' is not a task id", notATaskId.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_name_is_malformed()
    {
        var e = Assert.Throws<MalformedPayloadException>(() => Parse(new JObject { ["image"] = "Not A Name" }));
        Assert.Contains("payload.image: 'Not A Name'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Privileged_without_the_scope_is_malformed_naming_the_scope()
    {
        var e = Assert.Throws<MalformedPayloadException>(() => Parse(Privileged(), scopes: [], allowPrivileged: true));
        Assert.Contains("docker-worker:capability:privileged", e.Message, StringComparison.Ordinal);
        Assert.Contains("docker-worker:capability:privileged:proj/docker", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("docker-worker:capability:privileged")]
    [InlineData("docker-worker:capability:privileged:proj/docker")]
    public void Privileged_with_either_scope_form_runs_privileged_when_the_worker_allows_it(string scope)
    {
        Assert.True(Parse(Privileged(), scopes: [scope], allowPrivileged: true).Privileged);
        var e = Assert.Throws<MalformedPayloadException>(() => Parse(Privileged(), scopes: [scope], allowPrivileged: false));
        Assert.Contains("allowPrivileged", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_needs_its_scope_and_the_worker_config()
    {
        var payload = new JObject { ["image"] = "busybox", ["capabilities"] = new JObject { ["devices"] = new JObject { ["kvm"] = true, ["hostSharedMemory"] = false } } };
        var missing = Assert.Throws<MalformedPayloadException>(() => Parse(payload, scopes: [], devices: ["kvm"]));
        Assert.Contains("docker-worker:capability:device:kvm", missing.Message, StringComparison.Ordinal);
        var notAllowed = Assert.Throws<MalformedPayloadException>(() => Parse(payload, scopes: ["docker-worker:capability:device:kvm:proj/docker"]));
        Assert.Contains("allowDevices", notAllowed.Message, StringComparison.Ordinal);
        Assert.Equal(["kvm"], Parse(payload, scopes: ["docker-worker:capability:device:kvm"], devices: ["kvm"]).Devices);
    }

    private static JObject Privileged() => new() { ["image"] = "busybox", ["capabilities"] = new JObject { ["privileged"] = true } };

    private static DockerPayload Parse(JObject payload, string[]? scopes = null, bool allowPrivileged = false, string[]? devices = null, string[]? dependencies = null)
    {
        var task = new Mock<ITaskContext>();
        task.Setup(t => t.Task).Returns(new JObject { ["dependencies"] = new JArray(dependencies ?? []) });
        task.Setup(t => t.HasScopes(It.IsAny<IReadOnlyList<string>[]>()))
            .Returns((IReadOnlyList<string>[] sets) => sets.Any(set => set.All(s => (scopes ?? []).Contains(s))));
        var settings = new DockerSettings { AllowPrivileged = allowPrivileged, AllowedDevices = new HashSet<string>(devices ?? []) };
        return DockerPayload.Parse(payload, task.Object, settings, Identity);
    }
}
