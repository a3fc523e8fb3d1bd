using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <content>Figure 17: a fleet of real workers on one served queue.</content>
internal static partial class Suite
{
    /// <summary>
    /// 17. A fleet on one queue: <c>tc-worker queue serve</c> and N <c>tc-worker work</c> processes at
    /// capacity 4, all real binaries; M tasks running <c>true</c> are created first, then the workers
    /// start. The figure is the wall time from the workers' start to the last task completed; the check is
    /// that every task completed exactly once (one run each, completed), none was lost, and no worker died
    /// (each still runs at the end and exits 0 on SIGTERM). Baseline: the same number of bare <c>true</c>
    /// spawns at the fleet's parallelism. Then smaller fleets with the Docker engine and with createUser
    /// (each skipped where it cannot run).
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> FleetAsync(Harness harness, BenchOptions options)
    {
        var figures = new List<Figure>(await FleetRunAsync(harness, options.FleetWorkers, options.FleetTasks, "native", _ => { }, "true"));
        if (await DockerAvailableAsync())
        {
            await ImportDockerImageAsync(harness);
            figures.AddRange(await FleetRunAsync(harness, options.FleetSmallWorkers, options.FleetSmallTasks, "docker", config =>
            {
                config["engine"] = "docker";
                config["engines"] = new JObject { ["docker"] = new JObject { ["endpoint"] = DockerEndpoint, ["network"] = "none" } };
            }, "docker", "run", "--rm", "--network", "none", DockerImage, "true"));
        }

        if (IsRoot)
        {
            figures.AddRange(await FleetRunAsync(harness, options.FleetSmallWorkers, options.FleetSmallTasks, "native with createUser", config => config["engines"]!["native"]!["createUser"] = true, "true"));
        }

        return figures;
    }

    private static async Task<IReadOnlyList<Figure>> FleetRunAsync(Harness harness, int workers, int tasks, string variant, Action<JObject> configure, params string[] bareCommand)
    {
        const int capacity = 4;
        var baselineRate = await Spawner.RateAsync(tasks, workers * capacity, bareCommand);
        var folder = Directory.CreateTempSubdirectory("tcw-bench-fleet-").FullName;
        // Task users pass through to their own directories below.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        }

        using var server = Drained(Process.Start(Spawner.Info(Harness.Executable, "queue", "serve", "--data", Path.Combine(folder, "queue")))!, stdout: false);
        var fleet = new List<Process>();
        try
        {
            var rootUrl = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("queue serve printed no root URL");
            var environment = File.ReadAllLines(Path.Combine(folder, "queue", "credentials.env")).Select(l => l["export ".Length..].Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var credentials = new TaskclusterCredentials(environment["TASKCLUSTER_CLIENT_ID"], environment["TASKCLUSTER_ACCESS_TOKEN"]);
            using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = rootUrl, Credentials = credentials });
            var queue = "bench/fleet-" + Guid.NewGuid().ToString("N")[..8];
            var payload = variant == "docker"
                ? new JObject { ["image"] = DockerImage, ["command"] = new JArray("true"), ["maxRunTime"] = 600 }
                : new JObject { ["command"] = new JArray { new JArray("true") }, ["maxRunTime"] = 600 };
            var ids = new List<string>();
            for (var i = 0; i < tasks; i++)
            {
                var taskId = Slugid.Nice();
                var now = DateTimeOffset.UtcNow;
                await client.Queue.CreateTaskAsync(taskId, new JObject
                {
                    ["taskQueueId"] = queue,
                    ["created"] = now.ToString("O"),
                    ["deadline"] = now.AddHours(3).ToString("O"),
                    ["retries"] = 5,
                    ["payload"] = payload,
                    ["metadata"] = new JObject { ["name"] = "fleet", ["description"] = "fleet", ["owner"] = "bench@example.com", ["source"] = "https://example.com/bench" },
                });
                ids.Add(taskId);
            }

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < workers; i++)
            {
                var config = harness.Config(queue, capacity, rootUrl: rootUrl);
                config["credentials"] = new JObject { ["clientId"] = credentials.ClientId, ["accessToken"] = credentials.AccessToken };
                config["temporaryFolder"] = Path.Combine(folder, $"worker-{i}");
                configure(config);
                var file = Path.Combine(folder, $"worker-{i}.json");
                await File.WriteAllTextAsync(file, config.ToString());
                fleet.Add(Drained(Process.Start(Spawner.Info(Harness.Executable, "work", "--config", file))!, stdout: true));
            }

            // None lost: wait for each task in turn (those after it are mostly done by then).
            foreach (var taskId in ids)
            {
                while ((await client.Queue.StatusAsync(taskId)).Status.State is "pending" or "running" or "unscheduled")
                {
                    if (fleet.Any(p => p.HasExited))
                    {
                        throw new InvalidOperationException($"a worker of the {variant} fleet died (exit code {fleet.First(p => p.HasExited).ExitCode})");
                    }

                    await Task.Delay(50);
                }
            }

            var wall = clock.Elapsed.TotalSeconds;
            var died = fleet.Count(p => p.HasExited);
            var exactlyOnce = 0;
            foreach (var taskId in ids)
            {
                var status = (await client.Queue.StatusAsync(taskId)).Status;
                exactlyOnce += status.State == "completed" && status.Runs.Count == 1 ? 1 : 0;
            }

            var exitedBadly = await StopAllAsync(fleet);
            var held = exactlyOnce == tasks && died == 0 && exitedBadly == 0;
            var baselineWall = tasks / baselineRate;
            var name = string.Create(CultureInfo.InvariantCulture, $"fleet ({variant}): {workers} workers × capacity {capacity} on one served queue, {tasks} `true` tasks, wall time (baseline: bare spawns at parallelism {workers * capacity})");
            return
            [
                new(name, "s", wall, baselineWall, wall / baselineWall, "every task exactly once, no worker dies", held),
                new($"fleet ({variant}): tasks completed exactly once (one run each); workers died: {died}, exited non-zero on SIGTERM: {exitedBadly}", "tasks", exactlyOnce, tasks, (double)exactlyOnce / tasks, $"= {tasks}", exactlyOnce == tasks),
            ];
        }
        finally
        {
            await StopAllAsync(fleet);
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Reads a child's log away as it comes (a full pipe would stop it), and its output too when <paramref name="stdout"/>.</summary>
    private static Process Drained(Process process, bool stdout)
    {
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        if (stdout)
        {
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
        }

        return process;
    }

    /// <summary>Stops running workers with SIGTERM and waits for them.</summary>
    /// <returns>How many exited with another code than 0.</returns>
    private static async Task<int> StopAllAsync(List<Process> fleet)
    {
        foreach (var process in fleet.Where(p => !p.HasExited))
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        }

        var bad = 0;
        foreach (var process in fleet)
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            bad += process.ExitCode == 0 ? 0 : 1;
            process.Dispose();
        }

        fleet.Clear();
        return bad;
    }
}
