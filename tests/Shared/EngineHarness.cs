using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Testing;

namespace TcWorker.Engines.Testing;

/// <summary>Creates an engine from its provider in the conformance kit's test environment and runs tasks on it.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly List<TestTaskContext> tasks = [];

    private EngineHarness(EngineTestEnvironment environment, IEngine engine)
    {
        Environment = environment;
        Engine = engine;
    }

    public EngineTestEnvironment Environment { get; }

    public IEngine Engine { get; }

    public static async Task<EngineHarness> CreateAsync(IEngineProvider provider, JObject? config = null)
    {
        var environment = await EngineTestEnvironment.CreateAsync();
        var engine = provider.Create(new EngineOptions { Config = config ?? new JObject(), Environment = environment.Environment, Logger = NullLogger.Instance });
        return new EngineHarness(environment, engine);
    }

    /// <summary>A new task context, disposed with the harness.</summary>
    public TestTaskContext NewTask()
    {
        var task = Environment.CreateTask();
        tasks.Add(task);
        return task;
    }

    /// <summary>Builds and starts a sandbox for <paramref name="payload"/>.</summary>
    public async Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload, IReadOnlyDictionary<string, string>? env = null)
    {
        var task = NewTask();
        await using var builder = await Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = payload });
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            builder.SetEnvironmentVariable(name, value);
        }

        return (await builder.StartAsync(), task);
    }

    /// <summary>Runs a task to its end; the caller disposes the result.</summary>
    public async Task<(IResultSet Result, TestTaskContext Log)> RunAsync(JObject payload, IReadOnlyDictionary<string, string>? env = null)
    {
        var (sandbox, task) = await StartAsync(payload, env);
        await using (sandbox)
        {
            var result = await sandbox.WaitForResultAsync();
            return (result, task);
        }
    }

    /// <summary>Builds a sandbox with <paramref name="build"/> (volumes, proxies), runs its task to its end and disposes it; the caller disposes the result.</summary>
    public async Task<(IResultSet Result, TestTaskContext Log)> RunAsync(JObject payload, Func<ISandboxBuilder, Task> build)
    {
        var task = NewTask();
        ISandbox sandbox;
        await using (var builder = await Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = payload }))
        {
            await build(builder);
            sandbox = await builder.StartAsync();
        }

        await using (sandbox)
        {
            return (await sandbox.WaitForResultAsync(), task);
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
