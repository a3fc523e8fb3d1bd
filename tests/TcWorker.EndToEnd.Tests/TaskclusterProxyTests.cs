using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// features.taskclusterProxy on the native engine with a user per task, end to end: the stock worker's
/// plugin folders, the real local queue, and the official JavaScript client inside the task.
/// </summary>
public sealed class TaskclusterProxyTests
{
    private static string NodeScript(string name) => Path.Combine(Deployment.RepoRoot, "tests", "TcWorker.EndToEnd.Tests", "node", name);

    [SkippableFact]
    public async Task The_official_client_in_a_task_lists_its_artifacts_gets_the_queue_403_and_keeps_working_across_reclaims()
    {
        RequireRoot();
        var client = Path.Combine(TestFiles.NodeDir("TcWorker.LocalQueue.Tests"), "node_modules", "taskcluster-client");
        TestFiles.Require(Directory.Exists(client), $"{client} is missing: run `npm ci` in its folder (test.sh does).");

        // Claims last 3 s and are renewed every 1.5 s; each renewal brings credentials that expire with the claim.
        await using var deployment = await Deployment.StartAsync(claimTimeout: TimeSpan.FromSeconds(3));
        var taskId = await deployment.CreateTaskAsync(Payload(["node", NodeScript("proxy-client.cjs"), client, "7"]), t => t["scopes"] = new JArray("queue:list-artifacts:*"));
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(Config(deployment, tasks: 1), lifetime);

        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        var result = Result(log, "PROXY-RESULT");
        Assert.Contains("public/through-the-proxy", result["artifacts"]!.Values<string>());
        Assert.True((int?)result["denied"] == 403, "a call outside the task's scopes must get the queue's 403: " + log);
        Assert.True(!result["failures"]!.Any(), "calls failed across reclaims: " + result["failures"]);
        Assert.True((int)result["calls"]! >= 10, "too few calls across reclaims: " + log);
        // Claim credentials are named after the claim's end: the calls were signed with each renewal in turn.
        Assert.True(result["clientIds"]!.Count() >= 3, "the proxy did not follow the renewed credentials: " + result["clientIds"]);
        Assert.All(result["clientIds"]!.Values<string>(), id => Assert.StartsWith($"task-client/{taskId}/0/on/", id));
        var run = Assert.Single((await deployment.StatusAsync(taskId)).Runs);
        Assert.Equal("completed", run.State);
    }

    [SkippableFact]
    public async Task Another_task_running_as_another_user_cannot_use_the_proxy()
    {
        RequireRoot();
        await using var deployment = await Deployment.StartAsync();
        var marker = "holder-" + Guid.NewGuid().ToString("N");
        var holder = await deployment.CreateTaskAsync(Payload(["node", NodeScript("proxy-holder.cjs"), "6", marker]));
        var intruder = await deployment.CreateTaskAsync(Payload(["node", NodeScript("proxy-intruder.cjs"), marker]));
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(Config(deployment, tasks: 2, capacity: 2), lifetime);

        var held = Result((await ArtifactTests.FetchAsync(deployment, holder, "public/logs/live_backing.log")).Body, "HOLDER-RESULT");
        Assert.Equal(200, (int)held["before"]!);
        Assert.Equal(200, (int)held["after"]!);

        var intruderLog = (await ArtifactTests.FetchAsync(deployment, intruder, "public/logs/live_backing.log")).Body;
        var tried = Result(intruderLog, "INTRUDER-RESULT");
        // The holder ran, visible to the intruder, yet its environment (and so its proxy's URL) was not readable.
        Assert.True((int)tried["holderSeen"]! > 0, "the intruder never saw the holder run: " + intruderLog);
        Assert.True(!tried["found"]!.Any(), "the intruder found another task's proxy: " + intruderLog);
        Assert.Equal(404, (int)tried["guessed"]!);
        Assert.Equal(404, (int)tried["bare"]!);
    }

    private static void RequireRoot() =>
        Skip.IfNot(Environment.IsPrivilegedProcess, "The proxy's end-to-end tests run tasks as users of their own (createUser), which needs root.");

    private static JObject Payload(string[] command) => new()
    {
        ["command"] = new JArray { new JArray(command) },
        ["maxRunTime"] = 60,
        ["features"] = new JObject { ["taskclusterProxy"] = true },
    };

    private static JObject Config(Deployment deployment, int tasks, int capacity = 1)
    {
        // Task users must pass through the deployment's folder to their task folders (which are theirs alone).
        File.SetUnixFileMode(deployment.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var config = deployment.Config(tasks, capacity, w =>
        {
            w["reclaimOffset"] = 1.5;
            w["minimumReclaimDelay"] = 0.2;
        });
        config["engines"]!["native"]!["createUser"] = true;
        config["plugins"]!["taskclusterproxy"] = new JObject();
        return config;
    }

    private static JObject Result(string log, string prefix)
    {
        var line = log.Split('\n').FirstOrDefault(l => l.StartsWith(prefix + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {prefix} line in the task log:\n{log}");
        return JObject.Parse(line[(prefix.Length + 1)..]);
    }
}
