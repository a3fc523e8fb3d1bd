using Newtonsoft.Json.Linq;
using TcWorker.Testing;

namespace TcWorker.Engines.Mock.Tests;

public sealed class MockEngineConformanceTests : EngineConformanceTests
{
    protected override IEngineProvider CreateProvider() => new MockEngineProvider();

    protected override JObject LogPayload(string text) => Mock("write-log", text);

    protected override JObject FailingLogPayload(string text) => Mock("write-log-and-fail", text);

    protected override JObject SilentPayload() => Mock("true");

    protected override JObject SleepPayload() => Mock("sleep", "600000");

    protected override JObject? PrintEnvironmentVariablePayload(string name) => Mock("print-env", name);

    protected override JObject? PingProxyUrlPayload(string variableName) => Mock("ping-proxy-url", variableName);

    protected override ArtifactsCase? Artifacts => new(
        Mock("write-files", new JObject { ["public/a.txt"] = "A text", ["public/sub/b.txt"] = "B", ["other.txt"] = "O" }.ToString()),
        "public/a.txt", "A text", "public", ["a.txt", "sub/b.txt"])
    {
        WriteThenSleepPayload = Mock("write-files-then-sleep", new JObject { ["public/a.txt"] = "A text" }.ToString()),
    };

    protected override VolumesCase? Volumes => new("/cache", Mock("write-volume", "/cache"), Mock("read-volume", "/cache"))
    {
        // The mock keeps file contents only: the built volume is checked by them.
        CheckBuiltPayload = Mock("check-volume-files", new JObject
        {
            ["mountPoint"] = "/cache",
            ["files"] = new JObject
            {
                [BuiltVolumeLayout.ToolPath] = BuiltVolumeLayout.ToolText,
                [BuiltVolumeLayout.DataPath] = BuiltVolumeLayout.DataText,
                [BuiltVolumeLayout.HardLinkPath] = BuiltVolumeLayout.DataText,
            },
        }.ToString()),
    };

    private static JObject Mock(string function, string? argument = null) => new() { ["function"] = function, ["argument"] = argument ?? string.Empty };
}
