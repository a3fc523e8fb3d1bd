using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Testing;

namespace Acme.TcWorker.Engines.Echo.Tests;

public sealed class EchoEngineConformanceTests : EngineConformanceTests
{
    protected override IEngineProvider CreateProvider() => new EchoEngineProvider();

    protected override JObject LogPayload(string text) => new() { ["echo"] = text };

    protected override JObject FailingLogPayload(string text) => new() { ["echo"] = text, ["exitCode"] = 1 };

    protected override JObject SilentPayload() => [];

    protected override JObject SleepPayload() => new() { ["sleepSeconds"] = 600 };

    protected override JObject? PrintEnvironmentVariablePayload(string name) => new() { ["printEnv"] = name };
}
