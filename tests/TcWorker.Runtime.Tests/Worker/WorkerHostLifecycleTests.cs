using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.Runtime.Tests.Worker;

/// <summary>
/// The whole worker (<see cref="WorkerHost"/>) on a fake clock, with an engine and a plugin registered in
/// code: start before the first claim, health before each claim, idle reports. The root URL leads
/// nowhere: a claim attempt shows up in the log as a failed claimWork.
/// </summary>
public sealed class WorkerHostLifecycleTests : IDisposable
{
    private const int ClaimFailed = 1002;
    private const int LoopStarted = 1000;
    private readonly FakeTimeProvider time = new();
    private readonly ListLogger logger = new();
    private readonly ILoggerFactory loggerFactory;
    private readonly WorkerLifetime lifetime = new();
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-host-").FullName;
    private readonly ControlledEngine engine = new();
    private readonly RecordingPlugin plugin = new();

    public WorkerHostLifecycleTests() => loggerFactory = LoggerFactory.Create(b => b.AddProvider(logger).SetMinimumLevel(LogLevel.Trace));

    public void Dispose()
    {
        lifetime.Dispose();
        loggerFactory.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private Task<WorkerStopReason> RunAsync(JObject worker)
    {
        worker["workerPoolId"] = "test/host";
        worker["minimumDiskSpace"] = 0;
        var config = WorkerConfig.FromDocument(new JObject
        {
            ["engine"] = "controlled",
            ["plugins"] = new JObject { ["recording"] = new JObject() },
            ["worker"] = worker,
            ["rootUrl"] = "http://127.0.0.1:9",
            ["credentials"] = new JObject { ["clientId"] = "test", ["accessToken"] = "test" },
            ["temporaryFolder"] = Path.Combine(folder, "worker"),
        }, "host-test.yml");
        var services = new ServiceCollection();
        services.AddTcWorker(o => o.IncludeDefaultPluginDirectory = false);
        services.AddSingleton<IEngineProvider>(new Provider(engine));
        services.AddSingleton<IPluginProvider>(new Provider(plugin));
        var registry = services.BuildServiceProvider().GetRequiredService<ComponentRegistry>();
        return Task.Run(() => WorkerHost.RunAsync(config, registry, lifetime, loggerFactory, time));
    }

    [Fact]
    public async Task Nothing_is_claimed_before_the_engine_has_started_and_a_stop_while_it_waits_ends_the_worker()
    {
        engine.Start = (_, _) => throw new DependencyUnavailableException("the daemon is booting");

        var running = RunAsync([]);
        await time.AdvanceUntilAsync(() => engine.Starts >= 3, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(1));
        lifetime.StopGracefully();

        Assert.Equal(WorkerStopReason.Stopped, await running);
        Assert.Empty(logger.Messages(LoopStarted));
        Assert.Empty(logger.Messages(ClaimFailed));
        Assert.Equal(0, engine.Checks);
    }

    [Fact]
    public async Task An_engine_unhealthy_past_the_timeout_is_never_claimed_for_and_stops_the_worker_as_unhealthy()
    {
        engine.Health = (_, _) => Task.FromResult(EngineHealth.Unhealthy("the daemon reports a full disk"));

        var running = RunAsync(new JObject { ["healthCheckInterval"] = 30, ["unhealthyTimeout"] = 120 });
        await time.AdvanceUntilAsync(() => running.IsCompleted, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10));

        var reason = await running;
        Assert.Equal(WorkerStopReason.Unhealthy, reason);
        Assert.Equal(WorkerExitCodes.Unavailable, WorkerExitCodes.For(reason));
        Assert.Single(logger.Messages(LoopStarted));
        Assert.Empty(logger.Messages(ClaimFailed));
        Assert.Equal(["Not claiming: engine 'controlled': the daemon reports a full disk"], logger.Messages(1019));
        // Every 30 s until the 120 s timeout: about five checks. The loop runs on real threads while the test moves
        // the clock in 5 s steps, so one or two more can land; a loop that checked without waiting would make hundreds.
        Assert.InRange(engine.Checks, 5, 10);
    }

    [Fact]
    public async Task An_idle_worker_tells_its_plugins_about_once_a_minute()
    {
        var running = RunAsync([]);
        await time.AdvanceUntilAsync(() => plugin.Idle.Count >= 2, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        lifetime.StopGracefully();
        await running;

        Assert.InRange(plugin.Idle[0], TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(75));
        Assert.InRange(plugin.Idle[1] - plugin.Idle[0], TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(75));
        Assert.Equal(1, engine.Starts);
    }

    private sealed class Provider : IEngineProvider, IPluginProvider
    {
        private readonly IEngine? engine;
        private readonly IPlugin? plugin;

        public Provider(IEngine engine) => this.engine = engine;

        public Provider(IPlugin plugin) => this.plugin = plugin;

        public string Name => engine is null ? "recording" : "controlled";

        public JObject ConfigSchema { get; } = new() { ["type"] = "object" };

        public IEngine Create(EngineOptions options) => engine!;

        public IPlugin Create(PluginOptions options) => plugin!;
    }
}
