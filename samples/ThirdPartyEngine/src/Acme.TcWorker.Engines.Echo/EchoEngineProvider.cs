using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Engines;

namespace Acme.TcWorker.Engines.Echo;

/// <summary>The <c>acme-echo</c> engine: writes the payload's <c>echo</c> to the log, waits, and exits with its <c>exitCode</c>.</summary>
public sealed class EchoEngineProvider : IEngineProvider
{
    /// <inheritdoc />
    public string Name => "acme-echo";

    /// <inheritdoc />
    public JObject ConfigSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    /// <inheritdoc />
    public IEngine Create(EngineOptions options) => new EchoEngine();
}

internal sealed class EchoEngine : IEngine
{
    public EngineCapabilities Capabilities { get; } = new() { Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Kill };

    public JObject PayloadSchema => JObject.Parse("""
        { "type": "object", "properties": {
            "echo": { "type": "string" }, "printEnv": { "type": "string" },
            "sleepSeconds": { "type": "number", "minimum": 0 }, "exitCode": { "type": "integer" } } }
        """);

    public IReadOnlyList<DocSection> Documentation => [new("Payload", "`echo` is written to the log, `printEnv` names a variable whose value is written, then the task waits `sleepSeconds` and ends with `exitCode`.")];

    public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default) =>
        Task.FromResult<ISandboxBuilder>(new EchoSandboxBuilder(options));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
