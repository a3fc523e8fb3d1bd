using Newtonsoft.Json.Linq;
using TcWorker.Testing;

namespace TcWorker.Engines.Script.Tests;

public sealed class ScriptEngineConformanceTests : EngineConformanceTests
{
    protected override string? SkipReason => OperatingSystem.IsLinux() ? null : "The script engine tests run on Linux.";

    protected override IEngineProvider CreateProvider() => new ScriptEngineProvider();

    protected override JObject EngineConfig => new()
    {
        ["command"] = new JArray("sh", Path.Combine(AppContext.BaseDirectory, "kit-run.sh")),
        ["killGracePeriodSeconds"] = 0.5,
        ["schema"] = new JObject
        {
            ["type"] = "object",
            ["properties"] = new JObject { ["mode"] = new JObject { ["type"] = "string" }, ["text"] = new JObject { ["type"] = "string" } },
            ["required"] = new JArray("mode"),
            ["additionalProperties"] = false,
        },
    };

    protected override JObject LogPayload(string text) => Payload("log", text);

    protected override JObject FailingLogPayload(string text) => Payload("fail", text);

    protected override JObject SilentPayload() => Payload("silent");

    protected override string SleepStartedText => "kit-sleeping";

    protected override JObject SleepPayload() => Payload("sleep");

    protected override JObject? PrintEnvironmentVariablePayload(string name) => Payload("env", name);

    protected override ArtifactsCase? Artifacts => new(Payload("artifacts"), "a.txt", "kit text", "out", ["x.txt", "nested/y.txt"])
    {
        EscapingSymlinkPath = "leak",
        WriteThenSleepPayload = Payload("write-then-sleep"),
    };

    private static JObject Payload(string mode, string text = "") => new() { ["mode"] = mode, ["text"] = text };
}
