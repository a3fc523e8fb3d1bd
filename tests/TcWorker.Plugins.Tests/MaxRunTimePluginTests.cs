using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Plugins.MaxRunTime;
using TcWorker.Plugins.Success;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Plugins.Tests;

public sealed class MaxRunTimePluginTests
{
    private readonly ObservedTime time = new();

    [Fact]
    public async Task A_task_over_its_maxRunTime_is_killed_and_fails_with_a_log_line()
    {
        using var harness = Harness(new JObject { ["maxRunTime"] = 60 });
        var running = harness.RunAsync(JObject.Parse("""{ "hang": true, "maxRunTime": 5 }"""));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(10));

        time.Fake.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Delay(50);
        Assert.False(running.IsCompleted);
        Assert.False(harness.Events.Contains("sandbox:kill"));

        time.Fake.Advance(TimeSpan.FromSeconds(0.1));
        var outcome = await running;

        Assert.Equal(TaskRunState.Failed, outcome.State);
        Assert.True(harness.Events.Contains("sandbox:kill"));
        Assert.Contains("[tc-worker:error] Task exceeded maxRunTime of 5 seconds; killed\n", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("resolved as failed\n", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_payload_value_the_configured_limit_applies()
    {
        using var harness = Harness(new JObject { ["maxRunTime"] = 30 });
        var running = harness.RunAsync(JObject.Parse("""{ "hang": true }"""));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(10));

        time.Fake.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TaskRunState.Failed, (await running).State);
        Assert.Contains("maxRunTime of 30 seconds; killed", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_that_ends_in_time_is_not_killed_later()
    {
        using var harness = Harness(new JObject { ["maxRunTime"] = 60 });

        var outcome = await harness.RunAsync(JObject.Parse("""{ "exitCode": 0, "maxRunTime": 5 }"""));
        time.Fake.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(TaskRunState.Completed, outcome.State);
        Assert.False(harness.Events.Contains("sandbox:kill"));
        Assert.DoesNotContain("maxRunTime", harness.LogText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("allow", """{ "maxRunTime": 61 }""", "$.maxRunTime: 61 is more than the maximum 60")]
    [InlineData("allow", """{ "maxRunTime": 0 }""", "$.maxRunTime: 0 is less than the minimum 1")]
    [InlineData("require", "{}", "the required property 'maxRunTime' is missing")]
    [InlineData("forbid", """{ "maxRunTime": 10 }""", "$.maxRunTime: this worker does not let tasks set maxRunTime; every task may run 60 seconds")]
    public async Task Per_task_limits_outside_the_config_are_malformed(string perTaskLimit, string payload, string message)
    {
        using var harness = Harness(new JObject { ["maxRunTime"] = 60, ["perTaskLimit"] = perTaskLimit });

        await PluginTestKit.AssertMalformedAsync(harness, payload, message);
    }

    private Runtime.Tests.Tasks.Fakes.RunHarness Harness(JObject config) => PluginTestKit.Harness(
        PluginTestKit.Create(new MaxRunTimePluginProvider(), config, time),
        PluginTestKit.Create(new SuccessPluginProvider()));

    /// <summary>Fake time that tells when the plugin's timer exists, so advancing it is not a race.</summary>
    private sealed class ObservedTime : TimeProvider
    {
        private readonly TaskCompletionSource created = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeTimeProvider Fake { get; } = new();

        public Task TimerCreated => created.Task;

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = Fake.CreateTimer(callback, state, dueTime, period);
            created.TrySetResult();
            return timer;
        }
    }
}
