using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>A started docker engine in a fresh test environment, with what it logs kept; dispose it to stop both.</summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    private readonly List<TestTaskContext> tasks = [];

    private EngineFixture(EngineTestEnvironment environment, IEngine engine, ListLogger logger)
    {
        Environment = environment;
        Engine = engine;
        Logger = logger;
    }

    public EngineTestEnvironment Environment { get; }

    public IEngine Engine { get; }

    public ListLogger Logger { get; }

    /// <param name="collector">A garbage collector to give the engine instead of the environment's (which never collects).</param>
    public static async Task<EngineFixture> StartAsync(JObject? config = null, bool start = true, IGarbageCollector? collector = null)
    {
        var environment = await EngineTestEnvironment.CreateAsync();
        var logger = new ListLogger();
        var e = environment.Environment;
        var workerEnvironment = collector is null ? e : new WorkerEnvironment(e.Identity, e.RootUrl, e.Storage, e.Webhooks, collector, e.LoggerFactory, e.Lifetime, e.Time);
        var engine = new DockerEngineProvider().Create(new EngineOptions { Config = config ?? DockerTests.Config(), Environment = workerEnvironment, Logger = logger });
        if (start)
        {
            await engine.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        return new EngineFixture(environment, engine, logger);
    }

    public TestTaskContext NewTask()
    {
        var task = Environment.CreateTask();
        tasks.Add(task);
        return task;
    }

    public async Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload)
    {
        var task = NewTask();
        await using var builder = await Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = payload });
        return (await builder.StartAsync(), task);
    }

    public async Task<(IResultSet Result, TestTaskContext Task)> RunAsync(JObject payload)
    {
        var (sandbox, task) = await StartAsync(payload);
        await using (sandbox)
        {
            return (await sandbox.WaitForResultAsync().WaitAsync(TimeSpan.FromSeconds(60)), task);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        foreach (var task in tasks)
        {
            await task.DisposeAsync();
        }

        await Environment.DisposeAsync();
    }
}

/// <summary>Keeps the formatted messages of everything logged.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<string> messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (messages)
            {
                return [.. messages];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (messages)
        {
            messages.Add(formatter(state, exception));
        }
    }
}
