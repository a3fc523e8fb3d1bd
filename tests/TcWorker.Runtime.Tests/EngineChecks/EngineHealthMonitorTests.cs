using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using TcWorker.Engines;
using TcWorker.Runtime.EngineChecks;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Worker;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Tests.EngineChecks;

/// <summary>How the worker watches its engines' health: bounded checks, one log line and report per change, the timeout.</summary>
public sealed class EngineHealthMonitorTests
{
    private readonly FakeTimeProvider time = new();
    private readonly ListLogger logger = new();
    private readonly ConcurrentQueue<WorkerError> reports = new();

    private EngineHealthMonitor Monitor(TimeSpan interval, TimeSpan unhealthyTimeout, params (string Name, IEngine Engine)[] engines) =>
        new(engines.Select(e => new NamedEngine(e.Name, e.Engine)), interval, unhealthyTimeout, time, logger, error =>
        {
            reports.Enqueue(error);
            return Task.CompletedTask;
        });

    [Fact]
    public async Task A_change_of_health_is_logged_and_reported_once_not_at_every_check()
    {
        string?[] answers = ["disk full", "disk full", "disk full", "daemon gone", null];
        var docker = new ControlledEngine { Health = (n, _) => Task.FromResult(answers[n - 1] is { } reason ? EngineHealth.Unhealthy(reason) : EngineHealth.Healthy) };
        var native = new ControlledEngine();
        using var monitor = Monitor(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), ("native", native), ("docker", docker));

        var healthy = new List<bool>();
        for (var i = 0; i < answers.Length; i++)
        {
            healthy.Add(await monitor.CheckAsync(CancellationToken.None));
        }

        Assert.Equal([false, false, false, false, true], healthy);
        Assert.Equal(["Not claiming: engine 'docker': disk full", "Not claiming: engine 'docker': daemon gone"], logger.Messages(1019));
        Assert.Single(logger.Messages(1020));
        Assert.Equal(["Engine unhealthy", "Engine unhealthy"], reports.Select(r => r.Title));
        Assert.Equal(["engine 'docker': disk full", "engine 'docker': daemon gone"], reports.Select(r => r.Extra["reasons"]));
        Assert.Equal(5, native.Checks);
        Assert.Null(monitor.Problems);
    }

    [Fact]
    public async Task A_check_that_throws_or_hangs_counts_as_unhealthy_and_a_hung_engine_is_not_asked_again_meanwhile()
    {
        var throwing = new ControlledEngine { Health = (_, _) => throw new IOException("the socket is gone") };
        var hanging = new ControlledEngine { Health = (_, _) => new TaskCompletionSource<EngineHealth>().Task };
        using var monitor = Monitor(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), ("a", throwing), ("b", hanging));

        var first = monitor.CheckAsync(CancellationToken.None);
        await time.AdvanceUntilAsync(() => first.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.False(await first);
        Assert.Equal("engine 'a': the health check failed: IOException: the socket is gone; engine 'b': the health check did not answer within 10 s", monitor.Problems);

        Assert.False(await monitor.CheckAsync(CancellationToken.None));
        Assert.Equal("engine 'a': the health check failed: IOException: the socket is gone; engine 'b': its previous health check has not answered yet", monitor.Problems);
        Assert.Equal(1, hanging.Checks);
        Assert.Equal(2, throwing.Checks);
    }

    [Fact]
    public async Task Unhealthy_without_a_break_for_the_timeout_expires_after_the_periodic_checks_and_is_reported()
    {
        var engine = new ControlledEngine { Health = (_, _) => Task.FromResult(EngineHealth.Unhealthy("disk full")) };
        using var monitor = Monitor(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), ("docker", engine));
        using var stop = new CancellationTokenSource();
        var began = time.GetUtcNow();

        var watching = monitor.RunAsync(stop.Token);
        await time.AdvanceUntilAsync(() => engine.Checks >= 1, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        await time.AdvanceUntilAsync(() => time.GetUtcNow() - began >= TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.False(monitor.Expired.IsCompleted);

        await time.AdvanceUntilAsync(() => monitor.Expired.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        await watching;

        // First check after one interval, then one every interval: expired at the check 60 s after the first.
        Assert.InRange(time.GetUtcNow() - began, TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(75));
        Assert.InRange(engine.Checks, 7, 8);
        Assert.Equal(["Engine unhealthy", "Engine unhealthy for too long"], reports.Select(r => r.Title));
        Assert.Contains("exit code 69", reports.Last().Description, StringComparison.Ordinal);
        Assert.Single(logger.Messages(1019));
        Assert.Single(logger.Messages(1021));
    }

    [Fact]
    public async Task A_healthy_answer_starts_the_timeout_over()
    {
        var healthyAt = 4;
        var engine = new ControlledEngine { Health = (n, _) => Task.FromResult(n == healthyAt ? EngineHealth.Healthy : EngineHealth.Unhealthy("disk full")) };
        using var monitor = Monitor(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(45), ("docker", engine));

        // Unhealthy at 0, 10, 20 s; healthy at 30 s; unhealthy again from 40 s: 40 + 45 s is not yet reached at 80 s.
        for (var i = 0; i < 9; i++)
        {
            await monitor.CheckAsync(CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.False(monitor.Expired.IsCompleted);
        await monitor.CheckAsync(CancellationToken.None);
        Assert.True(monitor.Expired.IsCompleted);
        Assert.Equal(2, logger.Messages(1019).Count);
    }
}
