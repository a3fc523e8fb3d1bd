using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TestAssets;

/// <summary>
/// An engine whose start and health are set by its config, for the tests of how the worker starts,
/// waits and stops: <c>start</c> is ok, config-error, unavailable (forever) or crash; <c>health</c> is
/// healthy or unhealthy. It runs no task.
/// </summary>
public sealed class LifecycleEngineProvider : IEngineProvider
{
    public string Name => "lifecycle";

    public JObject ConfigSchema => JObject.Parse("""
        { "type": "object", "additionalProperties": false,
          "properties": {
            "start": { "enum": ["ok", "config-error", "unavailable", "crash"] },
            "health": { "enum": ["healthy", "unhealthy"] } } }
        """);

    public IEngine Create(EngineOptions options) =>
        new LifecycleEngine(options.Config.Value<string>("start") ?? "ok", options.Config.Value<string>("health") ?? "healthy");
}

public sealed class LifecycleEngine(string start, string health) : IEngine
{
    public EngineCapabilities Capabilities { get; } = new();

    public JObject PayloadSchema { get; } = JObject.Parse("""{ "type": "object" }""");

    public IReadOnlyList<DocSection> Documentation => [];

    public Task StartAsync(CancellationToken cancellationToken = default) => start switch
    {
        "config-error" => throw new ConfigurationException("$.engines.lifecycle.start: the socket /nowhere/lifecycle.sock does not exist"),
        "unavailable" => throw new DependencyUnavailableException("the lifecycle daemon at /nowhere/lifecycle.sock does not answer"),
        "crash" => throw new InvalidOperationException("the lifecycle engine broke while starting"),
        _ => Task.CompletedTask,
    };

    public Task<EngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(health == "healthy" ? EngineHealth.Healthy : EngineHealth.Unhealthy("the lifecycle daemon reports a full disk"));

    public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default) =>
        throw new NonFatalInternalException("the lifecycle test engine runs no tasks");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
