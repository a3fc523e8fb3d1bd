using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Testing;

/// <summary>Creates an engine from its provider in a test environment and runs tasks on it.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(TestWorkerEnvironment environment, IEngine engine)
    {
        Environment = environment;
        Engine = engine;
    }

    public TestWorkerEnvironment Environment { get; }

    public IEngine Engine { get; }

    public static EngineHarness Create(IEngineProvider provider, JObject? config = null)
    {
        var environment = new TestWorkerEnvironment();
        var engine = provider.Create(new EngineOptions(config ?? new JObject(), environment, NullLogger.Instance));
        return new EngineHarness(environment, engine);
    }

    /// <summary>Builds and starts a sandbox for <paramref name="payload"/>.</summary>
    public async Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload, IReadOnlyDictionary<string, string>? env = null)
    {
        var task = new TestTaskContext();
        await using var builder = await Engine.CreateSandboxBuilderAsync(new SandboxOptions(task, payload));
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            builder.SetEnvironmentVariable(name, value);
        }

        return (await builder.StartAsync(), task);
    }

    /// <summary>Runs a task to its end; the caller disposes the result.</summary>
    public async Task<(IResultSet Result, TestTaskLog Log)> RunAsync(JObject payload, IReadOnlyDictionary<string, string>? env = null)
    {
        var (sandbox, task) = await StartAsync(payload, env);
        await using (sandbox)
        {
            var result = await sandbox.WaitForResultAsync();
            return (result, task.TestLog);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Environment.Dispose();
    }
}
