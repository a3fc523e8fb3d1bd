using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Mock;

/// <summary>
/// Provides the <c>mock</c> engine: nothing runs, the payload's <c>function</c> picks a deterministic
/// behaviour (<c>true</c>, <c>false</c>, <c>write-log</c>, <c>sleep</c>, <c>ping-proxy</c>, ...).
/// Every optional feature but shells and displays is supported, in memory. Meant for tests.
/// </summary>
public sealed class MockEngineProvider : IEngineProvider
{
    /// <inheritdoc />
    public string Name => "mock";

    /// <inheritdoc />
    public JObject ConfigSchema => new() { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = new JObject() };

    /// <inheritdoc />
    public IEngine Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MockEngine(options.Environment.Time);
    }
}
