using Newtonsoft.Json.Linq;
using TcWorker.Testing;
using Xunit;

namespace Acme.TcWorker.PluginTemplate.Tests;

public sealed class GreetingPluginTests
{
    [Fact]
    public async Task The_greeting_is_written_to_the_task_log()
    {
        await using var harness = await PluginHarness.CreateAsync(new GreetingPluginProvider(), new JObject { ["prefix"] = "> " });
        (await harness.RunAsync(new JObject { ["greeting"] = "hello from the plugin" }))
            .AssertCompleted()
            .AssertLogContains("> hello from the plugin");
    }

    [Fact]
    public async Task A_failing_task_still_fails()
    {
        await using var harness = await PluginHarness.CreateAsync(new GreetingPluginProvider());
        (await harness.RunAsync(new JObject { ["greeting"] = "hello" }, MockFunction.ExitCode(1)))
            .AssertFailed();
    }
}
