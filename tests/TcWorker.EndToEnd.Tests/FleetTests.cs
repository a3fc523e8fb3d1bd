using System.Diagnostics;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// A fleet on one queue: several real <c>tc-worker work</c> processes against one local queue. Every
/// task completes exactly once and no worker dies (the full size, 20 workers and 5,000 tasks, is figure
/// 17 of the bench driver).
/// </summary>
public sealed partial class FleetTests
{
    private const int Workers = 4;
    private const int Capacity = 4;
    private const int Tasks = 200;

    [Fact]
    public async Task Four_workers_at_capacity_4_complete_200_tasks_each_exactly_once()
    {
        await using var deployment = await Deployment.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < Tasks; i++)
        {
            ids.Add(await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("true") } }));
        }

        var processes = new List<(Process Process, Task<string> Stderr)>();
        for (var i = 0; i < Workers; i++)
        {
            var config = deployment.Config(tasks: Tasks, capacity: Capacity, worker: w => w["shutdownGracePeriod"] = 30);
            config["plugins"] = new JObject { ["success"] = new JObject(), ["maxruntime"] = new JObject() };
            var configFile = Path.Combine(deployment.Folder, $"worker-{i}.json");
            await File.WriteAllTextAsync(configFile, config.ToString());
            var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = deployment.Folder };
            start.ArgumentList.Add("work");
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(configFile);
            var process = Process.Start(start)!;
            processes.Add((process, process.StandardError.ReadToEndAsync()));
        }

        // None lost: every task completes while the workers run; then they are stopped (SIGTERM), and each exits 0.
        foreach (var taskId in ids)
        {
            await deployment.WaitForAsync(taskId, s => s.State == "completed", TimeSpan.FromMinutes(3));
        }

        var claims = new List<string>();
        foreach (var (process, stderr) in processes)
        {
            using (process)
            {
                Assert.False(process.HasExited, "a worker died");
                Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
                var log = await stderr;
                Assert.True(process.ExitCode == 0, $"a worker exited {process.ExitCode}: {log}");
                claims.AddRange(ClaimedPattern().Matches(log).Select(m => m.Groups[1].Value + "/" + m.Groups[2].Value));
            }
        }

        // Exactly once: the queue knows one run per task, completed; the workers claimed each task once between them.
        foreach (var taskId in ids)
        {
            var status = await deployment.StatusAsync(taskId);
            Assert.True(status.State == "completed" && status.Runs.Count == 1, $"task {taskId} is {status.State} with runs {string.Join(", ", status.Runs.Select(r => $"{r.State}/{r.ReasonResolved}"))}");
        }

        Assert.Equal(Tasks, claims.Count);
        Assert.Equal(ids.Select(id => id + "/0").Order(StringComparer.Ordinal), claims.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("Claimed task ([A-Za-z0-9_-]{22}) run ([0-9]+)")]
    private static partial Regex ClaimedPattern();
}
