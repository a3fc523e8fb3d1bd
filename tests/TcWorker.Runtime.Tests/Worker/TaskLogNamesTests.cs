using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Tests.Worker;

/// <summary>The task log's artifact names, read from payloads of any shape, before and after validation.</summary>
public sealed class TaskLogNamesTests
{
    [Theory]
    [InlineData("""{"payload": {"features": {"backingLog": false}}}""", true)]
    [InlineData("""{"payload": {"features": {"backingLog": true}}}""", false)]
    [InlineData("""{"payload": {"features": {"backingLog": "false"}}}""", false)]
    [InlineData("""{"payload": {"features": ["backingLog"]}}""", false)]
    [InlineData("""{"payload": {"features": "backingLog"}}""", false)]
    [InlineData("""{"payload": "features"}""", false)]
    [InlineData("""{"payload": [{"features": {"backingLog": false}}]}""", false)]
    [InlineData("""{}""", false)]
    public void The_full_log_is_off_only_for_a_boolean_false_and_no_shape_throws(string task, bool off) =>
        Assert.Equal(off, TaskLogNames.BackingTurnedOff(JObject.Parse(task)));

    [Fact]
    public void A_validated_payload_renames_the_logs_and_a_malformed_one_keeps_the_defaults()
    {
        var task = JObject.Parse("""{"payload": {"logs": {"live": "public/l.log", "backing": "public/b.log"}, "features": {"backingLog": false}}}""");
        Assert.Equal(new TaskLogNames(null, "public/l.log"), TaskLogNames.For(task, new TaskRunOutcome { State = TaskRunState.Completed }));
        Assert.Equal(TaskLogNames.Default, TaskLogNames.For(task, new TaskRunOutcome { State = TaskRunState.Exception, Reason = ExceptionReason.MalformedPayload }));
        Assert.Equal(new TaskLogNames(ClaimedRun.BackingLogName, ClaimedRun.LiveLogName), TaskLogNames.For(JObject.Parse("""{"payload": {"features": "x"}}"""), new TaskRunOutcome { State = TaskRunState.Failed }));
    }
}
