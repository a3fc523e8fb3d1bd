using System.Collections.Concurrent;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Runtime.Tests.Tasks.Fakes;

/// <summary>
/// An engine driven by the task payload (<c>exitCode</c>, <c>output</c>, <c>hang</c>) and by
/// test hooks that throw or hang at a given stage. Records what happens in <see cref="Events"/>.
/// </summary>
public sealed class ScriptedEngine(EventLog events) : IEngine
{
    public EventLog Events => events;

    public EngineCapabilities Capabilities { get; } = new() { Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Kill };

    public JObject PayloadSchema { get; set; } = JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "exitCode": { "type": "integer" },
            "output": { "type": "string" },
            "hang": { "type": "boolean" }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation => [];

    public string? WorkingDirectory { get; set; }

    /// <summary>Variables the engine sets itself; a plugin setting one of them gets a naming conflict.</summary>
    public Dictionary<string, string> PresetEnvironment { get; } = new(StringComparer.Ordinal);

    public Func<CancellationToken, Task>? OnCreateBuilder { get; set; }

    public Func<CancellationToken, Task>? OnStart { get; set; }

    public Func<CancellationToken, Task>? OnWait { get; set; }

    public ScriptedSandboxBuilder? Builder { get; private set; }

    public ScriptedSandbox? Sandbox { get; internal set; }

    public async Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        events.Add("engine:create-builder");
        if (OnCreateBuilder is { } hook)
        {
            await hook(cancellationToken);
        }

        return Builder = new ScriptedSandboxBuilder(this, options);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class ScriptedSandboxBuilder(ScriptedEngine engine, SandboxOptions options) : ISandboxBuilder
{
    public ConcurrentDictionary<string, string> Environment { get; } = new(engine.PresetEnvironment, StringComparer.Ordinal);

    public List<string> SetOrder { get; } = [];

    public SandboxOptions Options => options;

    public string? WorkingDirectory => engine.WorkingDirectory;

    public void SetEnvironmentVariable(string name, string value)
    {
        if (!Environment.TryAdd(name, value))
        {
            throw new NamingConflictException("environment variable", name);
        }

        lock (SetOrder)
        {
            SetOrder.Add(name);
        }
    }

    public async Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        engine.Events.Add("engine:start");
        if (engine.OnStart is { } hook)
        {
            await hook(cancellationToken);
        }

        var sandbox = new ScriptedSandbox(engine, options);
        engine.Sandbox = sandbox;
        await sandbox.RunAsync();
        return sandbox;
    }

    public ValueTask DisposeAsync()
    {
        engine.Events.Add("builder:dispose");
        return ValueTask.CompletedTask;
    }
}

public sealed class ScriptedSandbox(ScriptedEngine engine, SandboxOptions options) : ISandbox
{
    private readonly TaskCompletionSource<IResultSet> done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync()
    {
        if (options.Payload["output"]?.Value<string>() is { } output)
        {
            await options.Task.Log.WriteAsync(Encoding.UTF8.GetBytes(output));
        }

        if (options.Payload["hang"]?.Value<bool>() != true)
        {
            done.TrySetResult(new ScriptedResultSet(engine.Events, options.Payload["exitCode"]?.Value<int>() ?? 0));
        }
    }

    public async Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default)
    {
        if (engine.OnWait is { } hook)
        {
            await hook(cancellationToken);
        }

        return await done.Task.WaitAsync(cancellationToken);
    }

    public Task AbortAsync()
    {
        engine.Events.Add("sandbox:abort");
        return done.TrySetException(new SandboxAbortedException()) ? Task.CompletedTask : Task.FromException(new SandboxTerminatedException());
    }

    public Task KillAsync()
    {
        engine.Events.Add("sandbox:kill");
        done.TrySetResult(new ScriptedResultSet(engine.Events, null));
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        engine.Events.Add("sandbox:dispose");
        return ValueTask.CompletedTask;
    }
}

public sealed class ScriptedResultSet(EventLog events, int? exitCode) : IResultSet
{
    public bool Success => exitCode == 0;

    public int? ExitCode => exitCode;

    public ValueTask DisposeAsync()
    {
        events.Add("result:dispose");
        return ValueTask.CompletedTask;
    }
}
