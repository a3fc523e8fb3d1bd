using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Engines.Mock;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Runtime.Worker;
using TcWorker.Workers;

namespace TcWorker.Testing.Tests;

/// <summary>
/// The real worker against the local queue (through <see cref="WorkerHarness"/>) with the mock engine
/// behind a watched front: health before claims, non-fatal errors told to plugins, garbage collected
/// before claims, and the harness's start check for engine authors.
/// </summary>
public sealed class WorkerLifecycleTests
{
    private static WorkerHarness Harness(IEngineProvider engine, IPluginProvider? plugin = null, string plugins = "{}") =>
        new($"engine: {engine.Name}\nplugins: {plugins}", b =>
        {
            b.Services.AddSingleton(engine);
            if (plugin is not null)
            {
                b.Services.AddSingleton(plugin);
            }
        });

    [Fact]
    public async Task A_task_waits_in_the_queue_while_the_engine_is_unhealthy_and_runs_once_it_is_healthy()
    {
        var engine = new WatchedEngineProvider { HealthyAfterChecks = 3 };

        await Harness(engine).AssertPassesAsync(new WorkerCase
        {
            Name = "waits-for-health",
            Config = "worker: {healthCheckInterval: 0.1}",
            Timeout = TimeSpan.FromSeconds(30),
            Tasks = [new WorkerCaseTask { Name = "after", Payload = "function: write-log\nargument: ran once healthy", Expect = new TaskExpectation { LogContains = ["ran once healthy"] } }],
        });

        // Three unhealthy answers came first: the task was claimed only after a healthy one.
        Assert.True(Assert.Single(engine.ChecksAtEachSandbox) > 3);
    }

    [Fact]
    public async Task A_run_ending_in_a_non_fatal_internal_error_is_told_to_every_plugin()
    {
        var plugin = new FailingPluginProvider(new NonFatalInternalException("the cache server dropped the connection"));

        await Harness(new WatchedEngineProvider(), plugin, "{failing: {}}").AssertPassesAsync(new WorkerCase
        {
            Name = "non-fatal",
            Timeout = TimeSpan.FromSeconds(30),
            Tasks = [new WorkerCaseTask { Name = "broken", Payload = "function: write-log\nargument: never", Expect = new TaskExpectation { Resolution = "exception/internal-error" } }],
        });

        var told = Assert.Single(plugin.Told);
        Assert.Equal("the cache server dropped the connection", told.Message);
    }

    [Fact]
    public async Task Below_the_minimum_disk_space_the_worker_evicts_unused_resources_oldest_first_and_then_claims_nothing()
    {
        var plugin = new CachingPluginProvider();

        // No drive has 4 EiB free: whatever is evicted, the task stays in the queue.
        var result = await Harness(new WatchedEngineProvider(), plugin, "{caching: {}}").RunAsync(new WorkerCase
        {
            Name = "low-disk",
            Config = "worker: {minimumDiskSpace: 4611686018427387904}",
            Timeout = TimeSpan.FromSeconds(2),
            Tasks = [new WorkerCaseTask { Name = "waiting", Payload = "function: write-log\nargument: never" }],
        });

        Assert.Equal(["old", "middle", "recent"], plugin.Evicted);
        Assert.Contains(result.Mismatches, m => m.Contains("'waiting' (pending)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("start: ok", 0, null)]
    [InlineData("start: config-error", 78, "$.engines.watched: the engine 'watched' cannot start: $.engines.watched.socket: /nowhere does not exist")]
    [InlineData("create: config-error", 78, "$.engine: creating the engine 'watched' failed: $.engines.watched.socket: /nowhere does not exist")]
    [InlineData("start: unavailable", 69, "The engine 'watched' is unavailable: nothing answers at /nowhere (still after 1 s, worker.startTimeout)")]
    [InlineData("start: crash", 70, "The engine 'watched' failed to start: InvalidOperationException: the engine broke")]
    public async Task The_harness_tells_engine_authors_which_exit_code_a_start_failure_gives(string engineConfig, int exitCode, string? message)
    {
        var start = await Harness(new WatchedEngineProvider()).RunStartAsync($"engines: {{watched: {{{engineConfig}}}}}\nworker: {{startTimeout: 1}}");

        Assert.True(exitCode == start.ExitCode, $"exit code {start.ExitCode}: {start.Message}");
        if (message is null)
        {
            Assert.Null(start.Message);
        }
        else
        {
            Assert.Contains(message, start.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_case_whose_engine_does_not_start_fails_with_the_engines_message()
    {
        var error = await Assert.ThrowsAsync<EngineStartException>(() => Harness(new WatchedEngineProvider()).RunAsync(new WorkerCase
        {
            Name = "no-start",
            Config = "engines: {watched: {start: crash}}",
            Tasks = [new WorkerCaseTask { Name = "never", Payload = "function: write-log\nargument: never" }],
        }));

        Assert.Equal("The engine 'watched' failed to start: InvalidOperationException: the engine broke", error.Message);
    }

    /// <summary>The mock engine behind a front whose start, creation and health the config and the test decide.</summary>
    private sealed class WatchedEngineProvider : IEngineProvider
    {
        private readonly MockEngineProvider mock = new();
        private readonly ConcurrentQueue<int> checksAtEachSandbox = new();
        private int checks;

        public int HealthyAfterChecks { get; init; }

        public IReadOnlyList<int> ChecksAtEachSandbox => checksAtEachSandbox.ToArray();

        public string Name => "watched";

        public JObject ConfigSchema => JObject.Parse("""
            { "type": "object", "additionalProperties": false, "properties": {
                "start": { "enum": ["ok", "config-error", "unavailable", "crash"] },
                "create": { "enum": ["ok", "config-error"] } } }
            """);

        public IEngine Create(EngineOptions options) => options.Config.Value<string>("create") == "config-error"
            ? throw new ConfigurationException("$.engines.watched.socket: /nowhere does not exist")
            : new Engine(this, mock.Create(options), options.Config.Value<string>("start") ?? "ok");

        private sealed class Engine(WatchedEngineProvider provider, IEngine inner, string start) : IEngine
        {
            public EngineCapabilities Capabilities => inner.Capabilities;

            public JObject PayloadSchema => inner.PayloadSchema;

            public IReadOnlyList<DocSection> Documentation => inner.Documentation;

            public Task StartAsync(CancellationToken cancellationToken = default) => start switch
            {
                "config-error" => throw new ConfigurationException("$.engines.watched.socket: /nowhere does not exist"),
                "unavailable" => throw new DependencyUnavailableException("nothing answers at /nowhere"),
                "crash" => throw new InvalidOperationException("the engine broke"),
                _ => Task.CompletedTask,
            };

            public Task<EngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default) =>
                Task.FromResult(Interlocked.Increment(ref provider.checks) > provider.HealthyAfterChecks ? EngineHealth.Healthy : EngineHealth.Unhealthy("warming up"));

            public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
            {
                provider.checksAtEachSandbox.Enqueue(Volatile.Read(ref provider.checks));
                return inner.CreateSandboxBuilderAsync(options, cancellationToken);
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>A plugin whose every run fails in the build stage, and that records the non-fatal errors it is told about.</summary>
    private sealed class FailingPluginProvider(Exception failure) : IPluginProvider, IPlugin, ITaskPlugin
    {
        private readonly ConcurrentQueue<Exception> told = new();

        public IReadOnlyList<Exception> Told => told.ToArray();

        public string Name => "failing";

        public JObject ConfigSchema { get; } = new() { ["type"] = "object" };

        public JObject PayloadSchema { get; } = new() { ["type"] = "object", ["properties"] = new JObject() };

        public IReadOnlyList<DocSection> Documentation => [];

        public IPlugin Create(PluginOptions options) => this;

        public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) => Task.FromResult<ITaskPlugin>(this);

        public Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken) => Task.FromException(failure);

        public void ReportNonFatalError(Exception error) => told.Enqueue(error);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A plugin that registers caches with the garbage collector when it is created: three idle ones and one in use, the oldest.</summary>
    private sealed class CachingPluginProvider : IPluginProvider, IPlugin
    {
        private readonly ConcurrentQueue<string> evicted = new();

        public IReadOnlyList<string> Evicted => evicted.ToArray();

        public string Name => "caching";

        public JObject ConfigSchema { get; } = new() { ["type"] = "object" };

        public JObject PayloadSchema { get; } = new() { ["type"] = "object", ["properties"] = new JObject() };

        public IReadOnlyList<DocSection> Documentation => [];

        public IPlugin Create(PluginOptions options)
        {
            var now = options.Environment.Time.GetUtcNow();
            foreach (var (name, age, inUse) in new[] { ("recent", 1, false), ("busy", 90, true), ("old", 60, false), ("middle", 30, false) })
            {
                options.Environment.Collector.Register(new Cache(this, name, now.AddMinutes(-age), inUse));
            }

            return this;
        }

        public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("No task should reach the caching plugin: the disk is never free enough.");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class Cache(CachingPluginProvider owner, string name, DateTimeOffset lastUsed, bool inUse) : ICollectableResource
        {
            public DateTimeOffset LastUsed => lastUsed;

            public Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default) => Task.FromResult(1024L);

            public Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default)
            {
                if (!inUse)
                {
                    owner.evicted.Enqueue(name);
                }

                return Task.FromResult(!inUse);
            }
        }
    }
}
