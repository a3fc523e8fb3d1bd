using Microsoft.Extensions.Time.Testing;
using TcWorker.Errors;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.EngineChecks;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Worker;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Tests.EngineChecks;

/// <summary>How the worker starts its engines: retries, give-up, and the exceptions that name the engine.</summary>
public sealed class EngineStarterTests
{
    private readonly FakeTimeProvider time = new();
    private readonly ListLogger logger = new();

    private Task<bool> StartAsync(TimeSpan timeout, CancellationToken stopping = default, params (string Name, TcWorker.Engines.IEngine Engine)[] engines) =>
        EngineStarter.StartAsync(engines.Select(e => new NamedEngine(e.Name, e.Engine)), timeout, "worker.yml", time, logger, stopping);

    [Fact]
    public async Task A_config_the_engine_cannot_use_is_a_config_problem_naming_the_engine_and_is_not_retried()
    {
        var engine = new ControlledEngine { Start = (_, _) => throw new ConfigurationException("$.engines.docker.socket: /nowhere does not exist") };

        var error = await Assert.ThrowsAsync<ConfigException>(() => StartAsync(TimeSpan.FromMinutes(5), default, ("docker", engine)));

        Assert.Equal(["$.engines.docker: the engine 'docker' cannot start: $.engines.docker.socket: /nowhere does not exist"], error.Problems);
        Assert.Equal(1, engine.Starts);
        Assert.Equal(WorkerExitCodes.Config, WorkerExitCodes.For(error));
    }

    [Fact]
    public async Task A_dependency_that_comes_up_is_waited_for_with_growing_delays_and_each_wait_is_logged()
    {
        var engine = new ControlledEngine { Start = (n, _) => n < 3 ? throw new DependencyUnavailableException($"the daemon is booting ({n})") : Task.CompletedTask };

        var started = StartAsync(TimeSpan.FromMinutes(5), default, ("docker", engine));
        await time.AdvanceUntilAsync(() => started.IsCompleted, TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(1));

        Assert.True(await started);
        Assert.Equal(3, engine.Starts);
        var waits = logger.Messages(1017);
        Assert.Equal(2, waits.Count);
        Assert.StartsWith("Engine 'docker' is waiting for a dependency: the daemon is booting (1); retrying in 1 s ", waits[0], StringComparison.Ordinal);
        Assert.StartsWith("Engine 'docker' is waiting for a dependency: the daemon is booting (2); retrying in 2 s ", waits[1], StringComparison.Ordinal);
        Assert.Equal(["Engine 'docker' started"], logger.Messages(1016));
    }

    [Fact]
    public async Task A_dependency_that_never_comes_up_gives_up_at_the_start_timeout_as_unavailable()
    {
        var engine = new ControlledEngine { Start = (_, _) => throw new DependencyUnavailableException("nothing listens on /var/run/docker.sock") };
        var began = time.GetUtcNow();

        var started = StartAsync(TimeSpan.FromSeconds(10), default, ("docker", engine));
        await time.AdvanceUntilAsync(() => started.IsCompleted, TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<EngineStartException>(() => started);
        Assert.True(error.IsUnavailable);
        Assert.Equal("docker", error.EngineName);
        Assert.Equal("The engine 'docker' is unavailable: nothing listens on /var/run/docker.sock (still after 10 s, worker.startTimeout)", error.Message);
        Assert.Equal(WorkerExitCodes.Unavailable, WorkerExitCodes.For(error));

        // Attempts at about 0, 1, 3 and 7 s; then the last wait is cut to the deadline.
        Assert.Equal(4, engine.Starts);
        Assert.InRange(time.GetUtcNow() - began, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11));
    }

    [Fact]
    public async Task A_start_that_hangs_past_the_timeout_counts_as_unavailable_even_when_it_ignores_its_token()
    {
        var engine = new ControlledEngine { Start = (_, _) => new TaskCompletionSource().Task };

        var started = StartAsync(TimeSpan.FromSeconds(30), default, ("docker", engine));
        await time.AdvanceUntilAsync(() => started.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<EngineStartException>(() => started);
        Assert.True(error.IsUnavailable);
        Assert.Equal("The engine 'docker' did not finish starting within 30 s (worker.startTimeout)", error.Message);
    }

    [Fact]
    public async Task Any_other_failure_names_the_engine_that_failed_and_is_an_internal_error()
    {
        var first = new ControlledEngine();
        var second = new ControlledEngine { Start = (_, _) => throw new UnauthorizedAccessException("/var/lib/engine is not writable") };

        var error = await Assert.ThrowsAsync<EngineStartException>(() => StartAsync(TimeSpan.FromMinutes(5), default, ("native", first), ("docker", second)));

        Assert.False(error.IsUnavailable);
        Assert.Equal("The engine 'docker' failed to start: UnauthorizedAccessException: /var/lib/engine is not writable", error.Message);
        Assert.IsType<UnauthorizedAccessException>(error.InnerException);
        Assert.Equal(WorkerExitCodes.Software, WorkerExitCodes.For(error));
        Assert.Equal(["Engine 'native' started"], logger.Messages(1016));
    }

    [Fact]
    public async Task A_stop_while_waiting_for_a_dependency_ends_the_start_without_an_error()
    {
        using var stopping = new CancellationTokenSource();
        var engine = new ControlledEngine { Start = (_, _) => throw new DependencyUnavailableException("still booting") };

        var started = StartAsync(TimeSpan.FromMinutes(5), stopping.Token, ("docker", engine));
        await time.AdvanceUntilAsync(() => engine.Starts >= 2, TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(1));
        await stopping.CancelAsync();

        Assert.False(await started);
    }
}
