using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The daemon dying mid-task, on a private daemon.</summary>
[Collection(DockerCollection.Name)]
public sealed class DaemonDeathTests(DockerDaemon daemon)
{
    [SkippableFact]
    public async Task A_daemon_that_dies_mid_task_ends_the_run_worker_shutdown_and_the_engine_is_unhealthy_until_it_answers()
    {
        Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
        Skip.If(PrivateDaemon.UnavailableReason is not null, PrivateDaemon.UnavailableReason);
        await using var dockerd = await PrivateDaemon.StartAsync();
        using (var client = dockerd.CreateClient())
        {
            await DockerDaemon.ImportBusyboxAsync(client, DockerDaemon.ImageRepository, DockerDaemon.ImageTag);
        }

        await using var engine = await EngineFixture.StartAsync(new JObject { ["endpoint"] = dockerd.Endpoint, ["network"] = "none" });
        Assert.True((await engine.Engine.CheckHealthAsync()).IsHealthy);
        var (sandbox, task) = await engine.StartAsync(DockerTests.Shell("echo sleeping-$((4*4)); exec sleep 600"));
        dockerd.Track(((DockerSandbox)sandbox).ContainerId);
        await using (sandbox)
        {
            await task.WaitForLogAsync("sleeping-16");
            await dockerd.KillAsync();
            var e = await Assert.ThrowsAsync<TaskException>(() => sandbox.WaitForResultAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(ExceptionReason.WorkerShutdown, e.Reason);
            Assert.Contains("stopped answering", task.LogText, StringComparison.Ordinal);
            var health = await engine.Engine.CheckHealthAsync();
            Assert.False(health.IsHealthy);
            Assert.Contains(dockerd.Endpoint, health.Reason, StringComparison.Ordinal);
            await dockerd.RestartAsync();
            Assert.True((await engine.Engine.CheckHealthAsync()).IsHealthy);
        }
    }
}
