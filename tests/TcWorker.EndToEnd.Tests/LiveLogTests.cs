using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The live-log plugin with the stock worker: where its address is announced in the task log.</summary>
public sealed class LiveLogTests
{
    [Fact]
    public async Task The_live_log_address_is_announced_before_the_first_line_the_task_prints()
    {
        await using var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("echo", "first-output-of-the-task") } });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        var announced = log.IndexOf("Live log: http://", StringComparison.Ordinal);
        var output = log.IndexOf("first-output-of-the-task", StringComparison.Ordinal);
        Assert.True(announced >= 0 && output > announced, "the address must come before the task's output:\n" + log);
    }
}
