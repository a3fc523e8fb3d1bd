using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Plugins.Success;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Plugins.Tests;

public sealed class SuccessPluginTests
{
    [Theory]
    [InlineData(0, TaskRunState.Completed)]
    [InlineData(1, TaskRunState.Failed)]
    [InlineData(75, TaskRunState.Failed)]
    public async Task Exit_code_zero_is_success_and_anything_else_fails(int exitCode, TaskRunState state)
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new SuccessPluginProvider()));

        var outcome = await harness.RunAsync(new JObject { ["exitCode"] = exitCode });

        Assert.Equal(state, outcome.State);
    }

    [Theory]
    [InlineData(75, 75)]
    [InlineData(-1073741510, 3221225786)]
    public async Task A_retry_exit_code_resolves_intermittent_task_with_a_log_line(int exitCode, long listed)
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new SuccessPluginProvider()));
        var payload = new JObject { ["exitCode"] = exitCode, ["onExitStatus"] = new JObject { ["retry"] = new JArray(4, listed) } };

        var outcome = await harness.RunAsync(payload);

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.IntermittentTask, outcome.Reason);
        Assert.Contains($"[tc-worker:error] Exit code {exitCode} is listed in onExitStatus.retry", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("resolved as exception/intermittent-task\n", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PurgeCaches_is_left_to_the_mounts_plugin()
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new SuccessPluginProvider()));
        var payload = JObject.Parse("""{ "exitCode": 0, "onExitStatus": { "purgeCaches": [1] } }""");

        var outcome = await harness.RunAsync(payload);

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Contains("purgeCaches", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_codes_must_be_positive_integers()
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new SuccessPluginProvider()));

        await PluginTestKit.AssertMalformedAsync(harness, """{ "exitCode": 0, "onExitStatus": { "retry": [0] } }""", "$.onExitStatus.retry[0]: 0 is less than the minimum 1");
    }
}
