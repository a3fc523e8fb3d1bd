using Newtonsoft.Json.Linq;
using TcWorker.Plugins.Env;
using TcWorker.Plugins.LogPrefix;

namespace TcWorker.Plugins.Tests;

public sealed class LogPrefixPluginTests
{
    [Fact]
    public async Task Configured_lines_come_sorted_at_the_top_of_the_log()
    {
        var config = JObject.Parse("""{ "worker": "tc-worker 0.1.0", "image": "ubuntu-24.04", "cores": 8 }""");
        using var harness = PluginTestKit.Harness(
            PluginTestKit.Create(new EnvPluginProvider()),
            PluginTestKit.Create(new LogPrefixPluginProvider(), config));

        await harness.RunAsync(new JObject { ["exitCode"] = 0, ["output"] = "task output\n" });

        Assert.StartsWith(
            "[tc-worker] cores: 8\n[tc-worker] image: ubuntu-24.04\n[tc-worker] worker: tc-worker 0.1.0\n[tc-worker] Task fakeTaskId00000000000A run 0 starting",
            harness.LogText,
            StringComparison.Ordinal);
    }
}
