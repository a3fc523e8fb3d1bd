using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The docker engine against the test daemon: images, resources, clean-up, output and artifacts.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerEngineTests(DockerDaemon daemon)
{
    private DockerClient Docker
    {
        get
        {
            Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
            return daemon.RequiredClient;
        }
    }

    [SkippableFact]
    public async Task An_image_runs_by_name_and_as_a_docker_image_object_and_no_command_runs_the_image_default()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var (byName, byNameTask) = await engine.RunAsync(DockerTests.Shell("echo by-$((1+1))-name"));
        await using (byName)
        {
            Assert.True(byName.Success, byNameTask.LogText);
            Assert.Equal(0, byName.ExitCode);
            Assert.Contains("by-2-name", byNameTask.LogText, StringComparison.Ordinal);
        }

        var (byObject, byObjectTask) = await engine.RunAsync(new JObject { ["image"] = new JObject { ["type"] = "docker-image", ["name"] = DockerDaemon.Image } });
        await using (byObject)
        {
            Assert.True(byObject.Success, byObjectTask.LogText);
            Assert.Contains(DockerDaemon.DefaultCommandOutput, byObjectTask.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task The_exit_code_becomes_the_result_and_the_task_environment_and_labels_are_set()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var task = engine.NewTask();
        await using var builder = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = DockerTests.Shell("echo \"value=$TCW_VALUE pwd=$(pwd)\"; exit 7") });
        builder.SetEnvironmentVariable("TCW_VALUE", "a b=c");
        Assert.Equal("/", builder.WorkingDirectory);
        await using var sandbox = await builder.StartAsync();
        var container = await Docker.Containers.InspectContainerAsync(((DockerSandbox)sandbox).ContainerId);
        Assert.Equal(task.TaskId, container.Config!.Labels!["org.tcworker.task-id"]);
        Assert.Equal("test-worker", container.Config!.Labels!["org.tcworker.worker-id"]);
        Assert.True(container.Config!.Tty);
        Assert.Equal("none", container.HostConfig!.NetworkMode);
        await using var result = await sandbox.WaitForResultAsync();
        Assert.False(result.Success);
        Assert.Equal(7, result.ExitCode);
        Assert.Contains("value=a b=c pwd=/", task.LogText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_command_missing_from_the_image_fails_the_task_with_the_daemons_reason()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var (result, task) = await engine.RunAsync(new JObject { ["image"] = DockerDaemon.Image, ["command"] = new JArray("/no/such/command") });
        await using (result)
        {
            Assert.False(result.Success, task.LogText);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("The container could not start", task.LogText, StringComparison.Ordinal);
            Assert.Contains("/no/such/command", task.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Images_are_pulled_from_a_registry_and_digest_pins_are_honoured()
    {
        await using var registry = await LocalRegistry.StartAsync(Docker);
        await RemoveImageAsync(registry.Repository + ":1");
        await using var engine = await EngineFixture.StartAsync();

        // Missing: pulled, with progress in the log.
        var (pulled, pulledTask) = await engine.RunAsync(DockerTests.Shell("echo pulled-$((2+2))", registry.Repository + ":1"));
        await using (pulled)
        {
            Assert.True(pulled.Success, pulledTask.LogText);
            Assert.Contains($"Pulling the image {registry.Repository}:1 from {registry.Host}", pulledTask.LogText, StringComparison.Ordinal);
            Assert.Contains("pulled-4", pulledTask.LogText, StringComparison.Ordinal);
        }

        // Pinned to its digest: that image runs.
        var (pinned, pinnedTask) = await engine.RunAsync(DockerTests.Shell("echo pinned-ok", $"{registry.Repository}@{registry.Digest}"));
        await using (pinned)
        {
            Assert.True(pinned.Success, pinnedTask.LogText);
        }

        // Pinned to another digest: the local image with the same name is not used, and the registry has none.
        var wrong = "sha256:" + new string('0', 64);
        var mismatch = await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = engine.NewTask(), Payload = DockerTests.Shell("true", $"{registry.Repository}:1@{wrong}") }));
        Assert.Contains(wrong, mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("manifest unknown", mismatch.Message, StringComparison.Ordinal);

        // Unknown: malformed, naming the image and the registry's answer.
        var unknown = await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = engine.NewTask(), Payload = DockerTests.Shell("true", registry.Host + "/tcw/no-such-image:1") }));
        Assert.Contains(registry.Host + "/tcw/no-such-image:1", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("manifest unknown", unknown.Message, StringComparison.Ordinal);
        await RemoveImageAsync(registry.Repository + ":1");
    }

    [SkippableFact]
    public async Task A_registry_that_does_not_answer_is_retried_then_the_run_is_resource_unavailable()
    {
        _ = Docker;
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var engine = await EngineFixture.StartAsync(DockerTests.Config(new JObject { ["pullRetries"] = 1 }));
        var task = engine.NewTask();
        var e = await Assert.ThrowsAsync<TaskException>(() => engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = DockerTests.Shell("true", $"127.0.0.1:{port}/tcw/busybox:1") }));
        Assert.Equal(ExceptionReason.ResourceUnavailable, e.Reason);
        Assert.Contains("after 2 attempts", e.Message, StringComparison.Ordinal);
        Assert.Contains("retrying in", task.LogText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_pulled_image_is_evicted_when_disk_runs_low_once_no_task_uses_it()
    {
        await using var registry = await LocalRegistry.StartAsync(Docker);
        var image = registry.Repository + ":1";
        await RemoveImageAsync(image);
        // No free space and a floor of one byte: everything unused goes.
        var collector = new TcWorker.Runtime.Workers.GarbageCollector(() => 0, 1);
        await using var engine = await EngineFixture.StartAsync(collector: collector);
        var task = engine.NewTask();
        await using (var builder = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = DockerTests.Shell("true", image) }))
        {
            await collector.CollectAsync();
            await Docker.Images.InspectImageAsync(image);
            await using var sandbox = await builder.StartAsync();
            await using var result = await sandbox.WaitForResultAsync();
            Assert.True(result.Success, task.LogText);
        }

        await collector.CollectAsync();
        await Assert.ThrowsAsync<DockerImageNotFoundException>(() => Docker.Images.InspectImageAsync(image));
        // An image the engine did not pull is the operator's: never evicted.
        await Docker.Images.InspectImageAsync(DockerDaemon.Image);
    }

    [SkippableFact]
    public async Task An_out_of_memory_kill_fails_the_task_with_out_of_memory_in_the_log()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync(DockerTests.Config(new JObject { ["memory"] = "16m" }));
        var (result, task) = await engine.RunAsync(DockerTests.Shell("echo filling; x=0123456789abcdef; while true; do x=$x$x; done"));
        await using (result)
        {
            Assert.False(result.Success, task.LogText);
            Assert.Contains("out of memory", task.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Abort_removes_the_container_and_kill_keeps_it_until_the_result_is_disposed()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var (aborted, abortedTask) = await engine.StartAsync(DockerTests.Shell("echo sleeping-$((3*3)); exec sleep 600"));
        await using (aborted)
        {
            await abortedTask.WaitForLogAsync("sleeping-9");
            await aborted.AbortAsync();
            await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => Docker.Containers.InspectContainerAsync(((DockerSandbox)aborted).ContainerId));
        }

        var (killed, killedTask) = await engine.StartAsync(DockerTests.Shell("echo sleeping-$((3*3)); exec sleep 600"));
        var id = ((DockerSandbox)killed).ContainerId;
        IResultSet result;
        await using (killed)
        {
            await killedTask.WaitForLogAsync("sleeping-9");
            await killed.KillAsync(TimeSpan.FromSeconds(1));
            result = await killed.WaitForResultAsync();
        }

        Assert.False(result.Success);
        Assert.Null(result.ExitCode);
        Assert.False((await Docker.Containers.InspectContainerAsync(id)).State!.Running);
        await result.DisposeAsync();
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => Docker.Containers.InspectContainerAsync(id));
        Assert.Empty(await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = WorkerFilter("test-worker") }));
    }

    [SkippableFact]
    public async Task Leftovers_labelled_with_this_worker_are_removed_at_start_and_counted()
    {
        var docker = Docker;
        var mine = new[] { await CreateLabelledAsync("test-worker", start: true), await CreateLabelledAsync("test-worker", start: false) };
        var other = await CreateLabelledAsync("another-worker", start: false);
        var volume = await docker.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = "tcw-leftover-" + Guid.NewGuid().ToString("N")[..8],
            Labels = new Dictionary<string, string> { ["org.tcworker.worker-pool"] = "test-provisioner/test-worker-type", ["org.tcworker.worker-group"] = "test-group", ["org.tcworker.worker-id"] = "test-worker" },
        });
        try
        {
            await using var engine = await EngineFixture.StartAsync();
            await Assert.ThrowsAsync<DockerApiException>(() => docker.Volumes.InspectAsync(volume.Name));
            Assert.Contains(engine.Logger.Messages, m => m.Contains("1 volumes", StringComparison.Ordinal));
            foreach (var id in mine)
            {
                await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => docker.Containers.InspectContainerAsync(id));
            }

            await docker.Containers.InspectContainerAsync(other);
            Assert.Contains(engine.Logger.Messages, m => m.Contains("2 containers", StringComparison.Ordinal));
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(other, new ContainerRemoveParameters { Force = true });
        }
    }

    [SkippableFact]
    public async Task Two_MiB_of_output_arrive_intact()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var (result, task) = await engine.RunAsync(DockerTests.Shell(
            "dd if=/dev/urandom bs=1024 count=1536 2>/dev/null | base64 -w0 > /tmp/d; printf '#BEGIN#'; cat /tmp/d; printf '#END#'; sha256sum /tmp/d"));
        await using (result)
        {
            Assert.True(result.Success, task.LogText[..Math.Min(2000, task.LogText.Length)]);
            var log = task.LogText;
            // '#' is not in base64's alphabet.
            var begin = log.IndexOf("#BEGIN#", StringComparison.Ordinal) + 7;
            var end = log.IndexOf("#END#", begin, StringComparison.Ordinal);
            var data = Encoding.ASCII.GetBytes(log[begin..end]);
            Assert.Equal(2 * 1024 * 1024, data.Length);
            var expected = log[(end + 5)..].Trim().Split(' ')[0];
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(data)));
        }
    }

    [SkippableFact]
    public async Task Artifact_links_are_followed_inside_the_requested_folder_and_refused_outside()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync(DockerTests.Config(new JObject { ["workingDirectory"] = "/work" }));
        var (result, task) = await engine.RunAsync(DockerTests.Shell(
            "mkdir -p /work/out/sub /work/out/dir && cd /work/out && printf A > a.txt && printf B > sub/b.txt && " +
            "ln -s a.txt in && ln -s /work/out/sub/b.txt absolute-in && ln -s ../secret up && ln -s /etc/passwd out && " +
            "ln -s /etc dir-out && ln -s dir-out/passwd via && ln -s sub sub-link && ln -s sub-link/b.txt through && echo s > /work/secret"));
        await using (result)
        {
            Assert.True(result.Success, task.LogText);
            var listed = new Dictionary<string, SandboxFile>();
            await foreach (var file in result.EnumerateFolderAsync("out"))
            {
                listed[file.RelativePath] = file;
            }

            Assert.Equal(["a.txt", "absolute-in", "dir-out", "in", "out", "sub/b.txt", "through", "up", "via"], listed.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("A", await ReadAsync(await listed["in"].OpenAsync()));
            Assert.Equal("B", await ReadAsync(await listed["absolute-in"].OpenAsync()));
            Assert.Equal("B", await ReadAsync(await listed["through"].OpenAsync()));
            foreach (var escaping in new[] { "up", "out", "via", "dir-out" })
            {
                Assert.True(listed[escaping].EscapesSandbox, escaping);
                await Assert.ThrowsAsync<PathEscapesSandboxException>(() => listed[escaping].OpenAsync());
            }

            Assert.Equal("A", await ReadAsync(await result.OpenFileAsync("/work/out/a.txt")));
            Assert.Equal("B", await ReadAsync(await result.OpenFileAsync("out/sub/b.txt")));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("out/in"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../etc/passwd"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => ListAsync(result, "out/sub-link"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("out/sub"));
        }
    }

    [SkippableFact]
    public async Task A_file_of_several_megabytes_is_read_whole_from_the_container()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync(DockerTests.Config(new JObject { ["workingDirectory"] = "/work" }));
        var (result, task) = await engine.RunAsync(DockerTests.Shell("mkdir -p /work && yes 0123456789abcdef | head -c 3000000 > /work/big.txt"));
        await using (result)
        {
            Assert.True(result.Success, task.LogText);
            var text = await ReadAsync(await result.OpenFileAsync("big.txt"));
            Assert.Equal(3_000_000, text.Length);
            Assert.StartsWith("0123456789abcdef\n0123", text, StringComparison.Ordinal);
            Assert.Equal(3_000_000 / 17, text.Count(c => c == '\n'));
        }
    }

    [SkippableFact]
    public async Task A_terminal_shell_takes_input_and_an_aborted_shell_stops()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var (sandbox, task) = await engine.StartAsync(DockerTests.Shell("echo sleeping-$((3*3)); exec sleep 600"));
        await using (sandbox)
        {
            await task.WaitForLogAsync("sleeping-9");
            await using (var shell = await sandbox.OpenShellAsync([], tty: true))
            {
                await shell.SetSizeAsync(120, 40);
                await shell.StandardInput.WriteAsync("echo typed-$((2*3)); stty size; exit 3\n"u8.ToArray());
                var output = await new StreamReader(shell.StandardOutput).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(3, await shell.WaitAsync().WaitAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("typed-6", output, StringComparison.Ordinal);
                Assert.Contains("40 120", output, StringComparison.Ordinal);
            }

            await using (var sleeper = await sandbox.OpenShellAsync(["sleep", "600"], tty: false))
            {
                await sleeper.AbortAsync().WaitAsync(TimeSpan.FromSeconds(30));
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeper.WaitAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            }

            // Only the task's own sleep is left (the kill may take a moment to be reaped).
            IList<IList<string>> processes = [];
            for (var i = 0; i < 100 && (processes = (await Docker.Containers.ListProcessesAsync(((DockerSandbox)sandbox).ContainerId, new ContainerListProcessesParameters())).Processes!).Count != 1; i++)
            {
                await Task.Delay(100);
            }

            Assert.True(processes.Count == 1, string.Join("\n", processes.Select(p => string.Join(' ', p))));
        }
    }

    [SkippableFact]
    public async Task A_volume_is_held_by_one_sandbox_at_a_time_and_removed_when_disposed()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var volume = (DockerVolume)await engine.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-kit" });
        Assert.Equal("cache-kit", volume.Id);
        var firstTask = engine.NewTask();
        await using (var first = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = firstTask, Payload = DockerTests.Shell("head -c 300000 /dev/zero > /c/zeros; echo held-$((1+1)); exec sleep 600") }))
        {
            first.AttachVolume(new VolumeMount { MountPoint = "/c", Volume = volume });
            Assert.Throws<NamingConflictException>(() => first.AttachVolume(new VolumeMount { MountPoint = "/c/", Volume = volume }));
            await using var holding = await first.StartAsync();
            await firstTask.WaitForLogAsync("held-2");
            await using var second = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = engine.NewTask(), Payload = DockerTests.Shell("true") });
            Assert.Throws<InvalidOperationException>(() => second.AttachVolume(new VolumeMount { MountPoint = "/c", Volume = volume }));
        }

        Assert.True(await volume.GetSizeAsync() >= 300000);
        await using (var again = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = engine.NewTask(), Payload = DockerTests.Shell("test -s /c/zeros") }))
        {
            again.AttachVolume(new VolumeMount { MountPoint = "/c", Volume = volume, ReadOnly = true });
            await using var sandbox = await again.StartAsync();
            await using var result = await sandbox.WaitForResultAsync();
            Assert.True(result.Success);
        }

        // Ids are unique among live volumes, and ids and settings come from tasks: bad ones are malformed.
        await Assert.ThrowsAsync<NamingConflictException>(() => engine.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-kit" }));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateVolumeAsync(new VolumeOptions { Id = "../x" }));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => engine.Engine.CreateVolumeBuilderAsync(new VolumeOptions { Config = new JObject { ["size"] = 1 } }));
        await volume.DisposeAsync();
        await Assert.ThrowsAsync<DockerApiException>(() => Docker.Volumes.InspectAsync(volume.Name));
        await (await engine.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-kit" })).DisposeAsync();
    }

    [SkippableFact]
    public async Task A_volume_builder_writes_folders_files_links_modes_and_times()
    {
        _ = Docker;
        await using var engine = await EngineFixture.StartAsync();
        var builder = await engine.Engine.CreateVolumeBuilderAsync(new VolumeOptions { Id = "built" });
        IVolume volume;
        await using (builder)
        {
            await builder.WriteFileAsync("a/b/data.txt", new MemoryStream("payload"u8.ToArray()), new VolumeEntryOptions { Mode = (UnixFileMode)0x1c0, OwnerId = 1234, GroupId = 4321 });
            await builder.WriteFolderAsync("a/empty", new VolumeEntryOptions { LastWriteTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero) });
            await builder.WriteSymbolicLinkAsync("a/link", "/etc");
            await builder.WriteHardLinkAsync("a/hard.txt", "a/b/data.txt");
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => builder.WriteFileAsync("a/link/passwd", new MemoryStream()));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => builder.WriteFolderAsync("../up"));
            volume = await builder.BuildAsync();
        }

        await using (volume)
        {
            var task = engine.NewTask();
            await using var sandboxBuilder = await engine.Engine.CreateSandboxBuilderAsync(new SandboxOptions
            {
                Task = task,
                Payload = DockerTests.Shell("cd /v/a && cat b/data.txt hard.txt && stat -c '%a %u %g' b/data.txt && date -u -r empty +%Y && readlink link"),
            });
            sandboxBuilder.AttachVolume(new VolumeMount { MountPoint = "/v", Volume = volume });
            await using var sandbox = await sandboxBuilder.StartAsync();
            await using var result = await sandbox.WaitForResultAsync();
            Assert.True(result.Success, task.LogText);
            Assert.Contains("payloadpayload", task.LogText, StringComparison.Ordinal);
            // Owners are ignored: the engine does not declare EngineFeatures.VolumeOwners.
            Assert.True(task.LogText.Contains("700 0 0", StringComparison.Ordinal), task.LogText);
            Assert.Contains("2020", task.LogText, StringComparison.Ordinal);
            Assert.Contains("/etc", task.LogText, StringComparison.Ordinal);
        }

        Assert.Empty(await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = WorkerFilter("test-worker") }));
    }

    private static IDictionary<string, IDictionary<string, bool>> WorkerFilter(string workerId) => new Dictionary<string, IDictionary<string, bool>>
    {
        ["label"] = new Dictionary<string, bool> { [$"org.tcworker.worker-id={workerId}"] = true },
    };

    private static async Task<string> ReadAsync(Stream stream)
    {
        await using (stream)
        {
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        }
    }

    private static async Task ListAsync(IResultSet result, string path)
    {
        await foreach (var _ in result.EnumerateFolderAsync(path))
        {
        }
    }

    private async Task<string> CreateLabelledAsync(string workerId, bool start)
    {
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = DockerDaemon.Image,
            Cmd = ["sleep", "600"],
            Labels = new Dictionary<string, string>
            {
                ["org.tcworker.worker-pool"] = "test-provisioner/test-worker-type",
                ["org.tcworker.worker-group"] = "test-group",
                ["org.tcworker.worker-id"] = workerId,
            },
            HostConfig = new HostConfig { NetworkMode = "none" },
        });
        if (start)
        {
            await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        }

        return created.ID;
    }

    private async Task RemoveImageAsync(string name)
    {
        try
        {
            await Docker.Images.DeleteImageAsync(name, new ImageDeleteParameters { Force = true });
        }
        catch (DockerImageNotFoundException)
        {
        }
    }
}
