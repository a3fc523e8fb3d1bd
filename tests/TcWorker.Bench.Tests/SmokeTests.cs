namespace TcWorker.Bench.Tests;

/// <summary>
/// The benchmark driver with tiny counts, so it cannot rot. The figures themselves are never
/// asserted: only that each one was measured.
/// </summary>
public sealed class SmokeTests
{
    [Fact]
    public async Task Every_figure_is_measured_next_to_its_baseline()
    {
        var (figures, errors) = await Suite.RunAsync(BenchOptions.Smoke, _ => { });

        Assert.Empty(errors);
        foreach (var name in new[] { "per-task overhead", "throughput at capacity", "CPU of the worker (tc-worker work", "CPU of the local queue and the driver", "protocol floor: claim to resolved", "protocol floor: CPU", "pickup latency", "worker RSS, idle", "worker RSS per extra task", "start-up", "local queue lifecycles", "log throughput", "real job: the job's own CPU", "log: the live reader's end to resolved", "masking: CPU per MiB", "artifact upload, s3", "artifact upload, object", "real job", "real job through a worker already running", "claimWork latency", "per-task overhead at capacity", "warm writable cache", "readOnlyDirectory from a tar.zst", "taskcluster-proxy signed ping", "shell round trip", "dashboard task list", "dashboard live-log view", "fleet (native)" }.Concat(Suite.IsRoot ? ["per-task overhead with createUser", "throughput at capacity 2 with createUser", "pickup latency with createUser", "claim to resolved with createUser against without", "fleet (native with createUser)"] : [])
            .Concat(await Suite.DockerAvailableAsync() ? ["docker task overhead", "docker log", "docker task-image", "fleet (docker)"] : []))
        {
            Assert.Contains(figures, f => f.Name.StartsWith(name, StringComparison.Ordinal));
        }

        foreach (var figure in figures)
        {
            Assert.True(double.IsFinite(figure.Value) && double.IsFinite(figure.Baseline), $"{figure.Name}: {figure.Value} vs {figure.Baseline}");
            Assert.True(figure.Baseline > 0, $"{figure.Name}: baseline {figure.Baseline}");
            Assert.True(figure.MayBeZero || figure.Value > 0, $"{figure.Name}: {figure.Value}");
        }
    }
}
