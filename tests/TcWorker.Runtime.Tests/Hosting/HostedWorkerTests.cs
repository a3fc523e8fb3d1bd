using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Tests.Hosting;

/// <summary>The worker on the Generic Host: options bound and validated at start, defaults kept once, the claim loop's progress.</summary>
public sealed class HostedWorkerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-hosted-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void The_schema_shows_the_defaults_the_options_fall_back_on()
    {
        var options = WorkerOptions.FromConfig(WorkerConfig.FromDocument(new JObject { ["engine"] = "x", ["worker"] = new JObject { ["workerPoolId"] = "a/b" } }, "test"));
        var worker = RuntimeConfigSchema.Create()["properties"]!["worker"]!["properties"]!;

        Assert.Equal(options.ReclaimOffset.TotalSeconds, (double)worker["reclaimOffset"]!["default"]!);
        Assert.Equal(options.ShutdownGracePeriod.TotalSeconds, (double)worker["shutdownGracePeriod"]!["default"]!);
        Assert.Equal(options.UnhealthyTimeout.TotalSeconds, (double)worker["unhealthyTimeout"]!["default"]!);
        Assert.Equal(options.MinimumDiskSpace, (long)worker["minimumDiskSpace"]!["default"]!);
        Assert.Equal(options.Capacity, (int)worker["capacity"]!["default"]!);
        Assert.Equal(options.Identity.WorkerGroup, (string)worker["workerGroup"]!["default"]!);
        Assert.Equal(options.StopOnFatalError, (bool)worker["stopOnFatalError"]!["default"]!);
        Assert.Equal("object", (string)worker["artifactStorage"]!["default"]!);
        Assert.Equal(1800, (int)worker["hookTimeout"]!["default"]!);
        Assert.Equal(new WorkerOptions { Identity = options.Identity }, options);
    }

    [Fact]
    public async Task A_config_that_binds_but_fails_validation_stops_the_host_at_start_listing_every_problem()
    {
        using var host = Build(new JObject { ["workerPoolId"] = "test/hosted", ["capacity"] = 0, ["reclaimOffset"] = "soon" }, credentials: false);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("$.worker.capacity", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("$.worker.reclaimOffset", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("$.credentials", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(folder, "worker")), "nothing may start before the config is valid");
    }

    [Fact]
    public async Task A_valid_config_is_bound_to_the_options_and_a_worker_stopping_by_itself_stops_the_host()
    {
        using var host = Build(new JObject { ["workerPoolId"] = "test/hosted", ["capacity"] = 3, ["idleTimeout"] = 1, ["minimumDiskSpace"] = 0 }, credentials: true);

        Assert.Equal(3, host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value.Capacity);
        await host.StartAsync();
        await host.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var outcome = host.Services.GetRequiredService<WorkerOutcome>();
        Assert.Equal(WorkerStopReason.IdleTimeout, outcome.Reason);
        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public void The_claim_loop_is_stalled_only_when_a_step_outlasts_the_window_and_never_in_a_wait_it_chose()
    {
        var time = new FakeTimeProvider();
        var progress = new ClaimLoopProgress(time);
        var window = TimeSpan.FromSeconds(10);
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(progress.IsStalled(window));

        progress.Beat();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(progress.IsStalled(window));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(progress.IsStalled(window));

        progress.Waiting(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(39));
        Assert.False(progress.IsStalled(window));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(progress.IsStalled(window));

        progress.Waiting(null);
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(progress.IsStalled(window));
    }

    [Theory]
    [InlineData("60000000", null, 60.0)]
    [InlineData("60000000", "1", null)]
    [InlineData(null, null, null)]
    [InlineData("soon", null, null)]
    public void The_watchdog_window_comes_from_the_environment_systemd_sets(string? usec, string? pid, double? seconds)
    {
        var environment = new Dictionary<string, string?> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid };

        Assert.Equal(seconds, SystemdWatchdog.Window(name => environment.GetValueOrDefault(name))?.TotalSeconds);
    }

    private IHost Build(JObject worker, bool credentials)
    {
        var document = new JObject
        {
            ["engine"] = "mock",
            ["worker"] = worker,
            ["rootUrl"] = "http://127.0.0.1:9",
            ["temporaryFolder"] = Path.Combine(folder, "worker"),
        };
        if (credentials)
        {
            document["credentials"] = new JObject { ["clientId"] = "test", ["accessToken"] = "test" };
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TcWorker.Engines.IEngineProvider>(new MockProvider());
        builder.Services.AddTcWorker(o => o.IncludeDefaultPluginDirectory = false).AddHostedWorker(WorkerConfig.FromDocument(document, "hosted.yml", _ => null));
        return builder.Build();
    }

    private sealed class MockProvider : TcWorker.Engines.IEngineProvider
    {
        public string Name => "mock";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public TcWorker.Engines.IEngine Create(TcWorker.Engines.EngineOptions options) => new Worker.ControlledEngine();
    }
}
