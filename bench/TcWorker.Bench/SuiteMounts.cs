using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.Bench;

/// <summary>Figure 13: mounts. A warm writable cache attached to a task, and an archive extracted for one.</summary>
internal static partial class Suite
{
    private const double AttachGoalMs = 50;

    /// <summary>
    /// 13. Mounts, through the worker on the native engine: (a) a second task reusing a warm writable cache
    /// of <see cref="BenchOptions.MountCacheBytes"/> (files of 1 MiB), with and without <c>createUser</c>
    /// (as root): the median task time minus that of the same task without mounts, interleaved; goal at most
    /// 50 ms. (b) a <c>readOnlyDirectory</c> from a <c>tar.zst</c> of <see cref="BenchOptions.MountArchiveBytes"/>
    /// of text (download kept after the first task): the same difference against bare <c>tar --zstd -x</c>
    /// of the same file into a fresh folder; goal at most 1.2x.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> MountsAsync(Harness harness, BenchOptions options)
    {
        var figures = new List<Figure>();
        foreach (var createUser in IsRoot ? new[] { false, true } : [false])
        {
            figures.Add(await CacheAttachAsync(harness, options, createUser));
        }

        figures.Add(await ArchiveMountAsync(harness, options));
        return figures;
    }

    private static async Task<Figure> CacheAttachAsync(Harness harness, BenchOptions options, bool createUser)
    {
        var queue = createUser ? "bench/mounts-cache-users" : "bench/mounts-cache";
        var name = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var files = Math.Max(1, options.MountCacheBytes >> 20);
        var mount = new JArray { new JObject { ["cacheName"] = name, ["directory"] = "cache" } };
        var fill = $"mkdir -p cache/d && i=0 && while [ $i -lt {files} ]; do head -c 1048576 /dev/urandom > cache/d/f$i; i=$((i+1)); done";
        var with = new List<string>();
        var without = new List<string>();
        await harness.CreateTaskAsync(queue, MountPayload(mount, "sh", "-c", fill), [$"generic-worker:cache:{name}"]);
        for (var i = 0; i < options.MountRuns; i++)
        {
            with.Add(await harness.CreateTaskAsync(queue, MountPayload(mount, "true"), [$"generic-worker:cache:{name}"]));
            without.Add(await harness.CreateTaskAsync(queue, MountPayload("true"), []));
        }

        await RunMountsWorkerAsync(harness, queue, 1 + (2 * options.MountRuns), createUser);
        var (withMs, withoutMs) = (await MedianMsAsync(harness, with), await MedianMsAsync(harness, without));
        var attach = withMs - withoutMs;
        var size = options.MountCacheBytes >= 1 << 30 ? $"{options.MountCacheBytes >> 30} GiB" : $"{options.MountCacheBytes >> 20} MiB";
        return new(
            $"warm writable cache of {size} attached to a task{(createUser ? ", createUser" : string.Empty)}: task time minus the same task without mounts (median of {options.MountRuns})",
            "ms", attach, withoutMs, withMs / withoutMs, $"<= {AttachGoalMs} ms", attach <= AttachGoalMs, MayBeZero: true);
    }

    private static async Task<Figure> ArchiveMountAsync(Harness harness, BenchOptions options)
    {
        var tree = Path.Combine(harness.Folder, "mount-tree");
        Directory.CreateDirectory(tree);
        for (var i = 0; i < Math.Max(1, options.MountArchiveBytes >> 20); i++)
        {
            await WriteTextFileAsync(Path.Combine(tree, $"f{i}.txt"), Math.Min(1 << 20, options.MountArchiveBytes));
        }

        var archive = Path.Combine(harness.Folder, "mount-tree.tar.zst");
        await Spawner.TimeCheckedAsync("tar", "--zstd", "-cf", archive, "-C", tree, ".");
        Directory.Delete(tree, recursive: true);
        using var server = ServeFile(archive, out var url);
        var queue = "bench/mounts-archive";
        var mount = new JArray { new JObject { ["directory"] = "tree", ["format"] = "tar.zst", ["content"] = new JObject { ["url"] = url } } };
        var with = new List<string>();
        var without = new List<string>();
        await harness.CreateTaskAsync(queue, MountPayload(mount, "true"), []);
        for (var i = 0; i < options.MountRuns; i++)
        {
            with.Add(await harness.CreateTaskAsync(queue, MountPayload(mount, "true"), []));
            without.Add(await harness.CreateTaskAsync(queue, MountPayload("true"), []));
        }

        await RunMountsWorkerAsync(harness, queue, 1 + (2 * options.MountRuns), createUser: false);
        var mountMs = await MedianMsAsync(harness, with) - await MedianMsAsync(harness, without);
        var bare = new List<double>();
        for (var i = 0; i < options.MountRuns; i++)
        {
            var target = Path.Combine(harness.Folder, "mount-bare-" + i);
            Directory.CreateDirectory(target);
            bare.Add(await Spawner.TimeCheckedAsync("tar", "--zstd", "-xf", archive, "-C", target));
            Directory.Delete(target, recursive: true);
        }

        var bareMs = Stats.Median(bare);
        File.Delete(archive);
        return new(
            $"readOnlyDirectory from a tar.zst of {options.MountArchiveBytes >> 20} MiB (download kept): task time minus the same task without mounts, vs `tar --zstd -x`",
            "ms", mountMs, bareMs, mountMs / bareMs, "<= 1.2x", mountMs / bareMs <= 1.2, MayBeZero: true);
    }

    private static JObject MountPayload(params string[] command) => new() { ["command"] = new JArray { new JArray(command) }, ["maxRunTime"] = 600 };

    private static JObject MountPayload(JArray mounts, params string[] command)
    {
        var payload = MountPayload(command);
        payload["mounts"] = mounts.DeepClone();
        return payload;
    }

    private static async Task RunMountsWorkerAsync(Harness harness, string queue, int tasks, bool createUser)
    {
        var config = harness.Config(queue, capacity: 1, tasks: tasks, createUser: createUser);
        config["plugins"]!["mounts"] = new JObject();
        using var lifetime = new WorkerLifetime();
        await Harness.RunWorkerAsync(config, lifetime);
    }

    private static async Task<double> MedianMsAsync(Harness harness, IEnumerable<string> ids) =>
        Stats.Median((await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds));

    /// <summary>Serves one file over loopback HTTP at a fresh URL, until disposed.</summary>
    private static HttpListener ServeFile(string path, out string url)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        url = $"http://127.0.0.1:{port}/archive.tar.zst";
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    await using (var file = File.OpenRead(path))
                    {
                        await file.CopyToAsync(context.Response.OutputStream);
                    }

                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
            }
        });
        return listener;
    }
}
