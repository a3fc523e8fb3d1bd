using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <content>The docker engine's figures, each against the docker CLI doing the same on the same daemon.</content>
internal static partial class Suite
{
    private const string DockerImage = "tcw-bench/busybox:1";

    /// <summary>The daemon the docker figures use: DOCKER_HOST, else the default socket.</summary>
    public static string DockerEndpoint => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Whether a Docker daemon answers the docker CLI; the docker figures are skipped otherwise.</summary>
    public static async Task<bool> DockerAvailableAsync()
    {
        try
        {
            await Spawner.TimeCheckedAsync("docker", "version").WaitAsync(TimeSpan.FromSeconds(30));
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// 12. The docker engine: (a) task overhead, tasks running <c>true</c> in a busybox container one
    /// at a time, claim to resolved, against a bare <c>docker run --rm -t</c> of the same image and
    /// command; (b) container output through the live log (a terminal, one live reader, the log
    /// uploaded), against <c>docker run -t … &gt; file</c>; (c) a task whose image is another task's
    /// artifact, already loaded, against the overhead of (a), where the image is named.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> DockerAsync(Harness harness, BenchOptions options)
    {
        if (!await DockerAvailableAsync())
        {
            return [];
        }

        await ImportDockerImageAsync(harness);
        var bare = new List<double>();
        for (var i = 0; i < options.DockerTasks; i++)
        {
            bare.Add(await Spawner.TimeCheckedAsync("docker", "run", "--rm", "-t", "--network", "none", DockerImage, "true"));
        }

        const string queue = "bench/docker-overhead";
        var ids = new List<string>();
        for (var i = 0; i < options.DockerTasks; i++)
        {
            ids.Add(await harness.CreateTaskAsync(queue, DockerPayload("true")));
        }

        using (var lifetime = new WorkerLifetime())
        {
            await Harness.RunWorkerAsync(DockerConfig(harness, queue, ids.Count), lifetime);
        }

        var durations = await RunDurationsAsync(harness, ids);
        var median = Stats.Median(durations);
        var bareMedian = Stats.Median(bare);
        var taskImage = await TaskImageAsync(harness, options);

        var produce = $"head -c {options.DockerLogBytes.ToString(CultureInfo.InvariantCulture)} /dev/zero | tr '\\0' x";
        var file = Path.Combine(harness.Folder, "docker-log-baseline");
        var bareLog = await Spawner.TimeCheckedAsync("sh", "-c", $"docker run --rm -t --network none {DockerImage} sh -c \"{produce}\" > {file}") / 1000;
        File.Delete(file);
        const string logQueue = "bench/docker-log";
        var taskId = await harness.CreateTaskAsync(logQueue, DockerPayload(produce));
        DateTimeOffset readerEnd;
        long readBytes;
        using (var lifetime = new WorkerLifetime())
        {
            var worker = Harness.RunWorkerAsync(DockerConfig(harness, logQueue, 1), lifetime);
            (readBytes, readerEnd) = await FollowLiveLogAsync(harness, taskId);
            await worker;
        }

        var run = (await harness.CompletedAsync([taskId]))[0].Runs[^1];
        if (readBytes < options.DockerLogBytes)
        {
            throw new InvalidOperationException($"the live reader got {readBytes} bytes of at least {options.DockerLogBytes}");
        }

        var end = run.Resolved!.Value > readerEnd ? run.Resolved.Value : readerEnd;
        var seconds = (end - run.Started!.Value).TotalSeconds;
        var mib = options.DockerLogBytes / (double)(1 << 20);
        return
        [
            new("docker task overhead, median (claim to resolved vs bare `docker run --rm -t`)", "ms", median, bareMedian, median / bareMedian, "<= 1.15x", median / bareMedian <= 1.15),
            new($"docker log ({mib:F0} MiB through a terminal, 1 live reader, log uploaded) vs `docker run -t > file`", "s", seconds, bareLog, seconds / bareLog, "<= 1.5x", seconds / bareLog <= 1.5),
            new("docker task-image already loaded, median (claim to resolved) vs the same task with the image by name", "ms", taskImage, median, taskImage / median, "<= +50 ms", taskImage - median <= 50),
        ];
    }

    /// <summary>
    /// 12 (c). The median of tasks whose image is another task's artifact (a docker save tarball of the
    /// same image), after the first, which loads it: each asks the queue again and finds it loaded.
    /// </summary>
    private static async Task<double> TaskImageAsync(Harness harness, BenchOptions options)
    {
        var tarball = Path.Combine(harness.Folder, "docker-image.tar");
        await Spawner.TimeCheckedAsync("docker", "save", "-o", tarball, DockerImage);
        const string source = "bench/docker-image-source";
        var imageTask = await harness.CreateTaskAsync(source, new JObject());
        var claim = (await harness.Client.Queue.ClaimWorkAsync(source, new ClaimWorkRequest { WorkerGroup = "bench", WorkerId = "image-source", Tasks = 1 })).Tasks.Single();
        var queue = harness.Client.WithCredentials(claim.Credentials).Queue;
        await new ArtifactUploader(queue).UploadS3Async(imageTask, 0, "public/image.tar", "application/x-tar", DateTimeOffset.UtcNow.AddHours(2), _ => Task.FromResult<Stream>(File.OpenRead(tarball)));
        await queue.ReportCompletedAsync(imageTask, 0);
        File.Delete(tarball);

        const string consumers = "bench/docker-task-image";
        var image = new JObject { ["type"] = "task-image", ["taskId"] = imageTask, ["path"] = "public/image.tar" };
        var ids = new List<string>();
        for (var i = 0; i <= options.DockerTasks; i++)
        {
            ids.Add(await harness.CreateTaskAsync(consumers, new JObject { ["image"] = image, ["command"] = new JArray("true"), ["maxRunTime"] = 600 }, dependencies: [imageTask]));
        }

        using (var lifetime = new WorkerLifetime())
        {
            await Harness.RunWorkerAsync(DockerConfig(harness, consumers, ids.Count), lifetime);
        }

        // The engine's own name for the loaded image (the bench image itself): only this run's, by id.
        await Spawner.TimeCheckedAsync("sh", "-c", $"id=$(docker image inspect -f '{{{{.Id}}}}' {DockerImage} | cut -c8-19); docker images --filter 'reference=tcworker/task-image:*' --format '{{{{.ID}}}} {{{{.Repository}}}}:{{{{.Tag}}}}' | awk -v id=$id '$1 == id {{print $2}}' | xargs -r docker rmi > /dev/null");
        return Stats.Median((await RunDurationsAsync(harness, ids)).Skip(1));
    }

    private static async Task<List<double>> RunDurationsAsync(Harness harness, IEnumerable<string> ids) =>
        [.. (await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds)];

    private static JObject DockerPayload(string script) => new()
    {
        ["image"] = DockerImage,
        ["command"] = new JArray("sh", "-c", script),
        ["maxRunTime"] = 600,
    };

    private static JObject DockerConfig(Harness harness, string queue, int tasks)
    {
        var config = harness.Config(queue, capacity: 1, tasks: tasks);
        config["engine"] = "docker";
        config["engines"] = new JObject { ["docker"] = new JObject { ["endpoint"] = DockerEndpoint, ["network"] = "none" } };
        return config;
    }

    /// <summary>A busybox-static root file system imported as <see cref="DockerImage"/>, offline.</summary>
    private static async Task ImportDockerImageAsync(Harness harness)
    {
        var rootfs = Path.Combine(harness.Folder, "docker-rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/usr/bin/busybox", Path.Combine(rootfs, "bin", "busybox"), overwrite: true);
        foreach (var applet in new[] { "sh", "true", "head", "tr", "cat" })
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        await Spawner.TimeCheckedAsync("sh", "-c", $"tar -C {rootfs} -c . | docker import -c 'ENV PATH=/bin' - {DockerImage} > /dev/null");
    }
}
