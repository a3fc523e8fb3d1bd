using System.Diagnostics;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Docker.Tests;
using TcWorker.Engines.Testing;
using TcWorker.Taskcluster;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The real tc-worker binary killed with SIGKILL while tasks run, then started again: it hands its
/// claims back to the queue as worker-shutdown and removes what the tasks left, counting each kind.
/// </summary>
public sealed partial class CrashTests
{
    private const string RecordFile = ".tc-worker-claims";

    /// <summary>A task with retries left, so that a run resolved worker-shutdown is followed by a new one.</summary>
    private static Task<string> CreateAsync(Deployment deployment, JObject payload) => deployment.CreateTaskAsync(payload, task => task["retries"] = 5);

    [SkippableFact]
    public async Task After_a_sigkill_native_task_users_folders_groups_and_claims_are_cleaned_up_at_the_next_start()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Task users need root on Linux (useradd); run the tests as root to cover them.");
        await using var deployment = await Deployment.StartAsync();
        // Task users pass through to their own directories below.
        File.SetUnixFileMode(deployment.Folder, File.GetUnixFileMode(deployment.Folder) | UnixFileMode.OtherExecute);
        var marker = Deployment.SleepMarker();
        var tasks = new[]
        {
            await CreateAsync(deployment, new JObject { ["command"] = new JArray { new JArray("sleep", marker) } }),
            await CreateAsync(deployment, new JObject { ["command"] = new JArray { new JArray("sh", "-c", $"setsid sleep {marker} & sleep {marker}") } }),
            await CreateAsync(deployment, new JObject { ["command"] = new JArray { new JArray("sh", "-c", $"mkdir -p a/b && echo x > a/b/c && sleep {marker}") } }),
        };
        var config = deployment.Config(tasks: 10, capacity: 3, worker: w => w["shutdownGracePeriod"] = 1);
        config["engines"]!["native"]!["createUser"] = true;
        var folder = (string)config["temporaryFolder"]!;
        // Four sleeps (one, two and one): each task is past the wrapper that stops until it is in its group, whose
        // command line also carries the marker; counting any process with the marker could kill the worker first.
        var (stderr, groups) = await KillWhileRunningAsync(deployment, config, tasks, () => Sleeping(marker) >= 4);

        // What the killed worker left: the tasks' processes, users, directories, and its record of claims (600).
        // Besides the three tasks' users, the one prepared for the next task (unless the kill came while it was made).
        Assert.NotEmpty(Deployment.ProcessesWith(marker));
        var leftUsers = TaskUsersUnder(folder);
        Assert.InRange(leftUsers.Count, 3, 4);
        Assert.InRange(Directory.GetDirectories(Path.Combine(folder, "tcw-native")).Length, leftUsers.Count, 4);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, RecordFile)));

        var restarted = await RestartAsync(deployment, config, tasks);
        Assert.Contains("An earlier run of this worker left 3 open claim(s); 3 resolved as exception/worker-shutdown", restarted, StringComparison.Ordinal);
        // A useradd of the prepared user may still finish after the kill, before the restart counts.
        var removedUsers = Regex.Match(restarted, "Removed what an earlier run of this worker left: ([0-9]+) task users");
        Assert.True(removedUsers.Success, restarted);
        Assert.InRange(int.Parse(removedUsers.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), leftUsers.Count, 4);
        Assert.True(Count(LeftoverFilesPattern(), restarted) >= 4, restarted);   // three task logs and the task directories' folder
        if (groups)
        {
            Assert.Contains("Removed 3 control groups of tasks of a previous run", restarted, StringComparison.Ordinal);
        }

        Assert.Empty(Deployment.ProcessesWith(marker));
        Assert.True(!TaskUsersUnder(folder).Intersect(leftUsers).Any(), restarted);
        Assert.False(File.Exists(Path.Combine(folder, RecordFile)), "the record of claims is forgotten");
        Assert.DoesNotContain("cannot be read", stderr + restarted, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task After_a_sigkill_docker_containers_and_claims_are_cleaned_up_at_the_next_start()
    {
        var daemon = new DockerDaemon();
        await daemon.InitializeAsync();
        Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
        try
        {
            await using var deployment = await Deployment.StartAsync();
            var marker = Deployment.SleepMarker();
            var payload = new JObject { ["image"] = DockerDaemon.Image, ["command"] = new JArray("sleep", marker), ["maxRunTime"] = 600 };
            var tasks = new[] { await CreateAsync(deployment, payload), await CreateAsync(deployment, (JObject)payload.DeepClone()) };
            var config = deployment.Config(tasks: 10, capacity: 2, worker: w => w["shutdownGracePeriod"] = 1);
            config["engine"] = "docker";
            config["engines"] = new JObject { ["docker"] = new JObject { ["endpoint"] = DockerDaemon.Endpoint, ["network"] = "none", ["abortGracePeriodSeconds"] = 0 } };
            var workerId = (string)config["worker"]!["workerId"]!;
            await KillWhileRunningAsync(deployment, config, tasks, () => Deployment.ProcessesWith(marker).Count >= 2);
            Assert.Equal(2, (await ContainersOfAsync(daemon, workerId)).Count);

            var restarted = await RestartAsync(deployment, config, tasks);
            Assert.Contains("An earlier run of this worker left 2 open claim(s); 2 resolved as exception/worker-shutdown", restarted, StringComparison.Ordinal);
            Assert.True(Regex.IsMatch(restarted, "removed what an earlier run of this worker left: 2 containers, [0-9]+ volumes, [0-9]+ networks"), restarted);
            var left = await ContainersOfAsync(daemon, workerId);
            Assert.True(left.Count == 0, $"{string.Join(", ", left.Select(c => $"{c.ID[..12]} ({c.State}, run {(c.Labels is { } labels && labels.TryGetValue("org.tcworker.run-id", out var run) ? run : "?")})"))} left; the restarted worker's log: {restarted}");
            Assert.Empty(Deployment.ProcessesWith(marker));
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    /// <summary>Starts the binary, waits until every task runs, and kills it with SIGKILL.</summary>
    /// <returns>What it wrote to stderr, and whether it held the tasks in control groups.</returns>
    private static async Task<(string Stderr, bool Groups)> KillWhileRunningAsync(Deployment deployment, JObject config, string[] tasks, Func<bool> running)
    {
        var configFile = Path.Combine(deployment.Folder, "worker.json");
        await File.WriteAllTextAsync(configFile, config.ToString());
        using var process = Start(deployment.Folder, configFile);
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var taskId in tasks)
        {
            await deployment.WaitForAsync(taskId, s => s.Runs.Count == 1 && s.Runs[0].State == "running", TimeSpan.FromSeconds(90));
        }

        try
        {
            await Deployment.WaitUntilAsync(running, "every task's processes run", TimeSpan.FromSeconds(90));
        }
        catch (Exception) when (!process.HasExited)
        {
            process.Kill();
            throw new InvalidOperationException("The tasks' processes did not all start; the worker's log: " + await stderr);
        }

        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var log = await stderr;
        return (log, log.Contains("held in its own control group", StringComparison.Ordinal));
    }

    /// <summary>
    /// Starts the binary again on the same config; once the queue shows every killed claim resolved worker-shutdown
    /// and the new run running on the restarted worker, stops it with SIGTERM.
    /// </summary>
    /// <returns>What it wrote to stderr.</returns>
    private static async Task<string> RestartAsync(Deployment deployment, JObject config, string[] tasks)
    {
        using var process = Start(deployment.Folder, Path.Combine(deployment.Folder, "worker.json"));
        var stderr = process.StandardError.ReadToEndAsync();
        var handedBack = new List<TaskStatusStructure>();
        try
        {
            foreach (var taskId in tasks)
            {
                // The claim timeout is 20 minutes: only a hand-back resolves run 0 within the wait. Run 1 running
                // means the restarted worker's engine has started, so its clean-up is done.
                handedBack.Add(await deployment.WaitForAsync(taskId, s => s.Runs.Count == 2 && s.Runs[1].State == "running", TimeSpan.FromSeconds(90)));
            }
        }
        catch (Exception e)
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            throw new InvalidOperationException($"{e.Message}; the restarted worker's log: {await stderr}", e);
        }

        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var log = await stderr;
        Assert.All(handedBack, s => Assert.Equal(("exception", "worker-shutdown"), (s.Runs[0].State, s.Runs[0].ReasonResolved)));
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {log}");
        Assert.Equal([".tc-worker-temporary-storage"], Directory.EnumerateFileSystemEntries((string)config["temporaryFolder"]!).Select(Path.GetFileName));
        return log;
    }

    private static Process Start(string folder, string configFile)
    {
        var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardError = true, RedirectStandardOutput = false, UseShellExecute = false, WorkingDirectory = folder };
        start.ArgumentList.Add("work");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configFile);
        return Process.Start(start)!;
    }

    /// <summary>The task users (tcw-*) whose home is under the worker's temporary folder.</summary>
    private static List<string> TaskUsersUnder(string folder) =>
        [.. File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Where(f => f.Length > 5 && f[0].StartsWith("tcw-", StringComparison.Ordinal) && f[5].StartsWith(folder + "/", StringComparison.Ordinal)).Select(f => f[0])];

    private static async Task<IList<Docker.DotNet.Models.ContainerListResponse>> ContainersOfAsync(DockerDaemon daemon, string workerId) =>
        await daemon.RequiredClient.Containers.ListContainersAsync(new Docker.DotNet.Models.ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"org.tcworker.worker-id={workerId}"] = true } },
        });

    /// <summary>How many processes with the marker have become <c>sleep</c>, and are not stopped.</summary>
    private static int Sleeping(string marker) => Deployment.ProcessesWith(marker).Count(pid =>
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state …".
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return stat.Contains("(sleep)", StringComparison.Ordinal) && close > 0 && stat.Length > close + 2 && stat[close + 2] != 'T';
        }
        catch (IOException)
        {
            return false;   // it exited meanwhile
        }
    });

    private static int Count(Regex pattern, string log) => pattern.Match(log) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex("Removed ([0-9]+) files and folders an earlier run of this worker left")]
    private static partial Regex LeftoverFilesPattern();
}
