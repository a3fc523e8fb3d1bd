using Newtonsoft.Json.Linq;
using TcWorker.Plugins.Env;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Tasks.Fakes;

namespace TcWorker.Plugins.Tests;

public sealed class EnvPluginTests
{
    [Fact]
    public async Task Sets_config_extras_then_the_payload_then_the_forced_worker_variables_which_win()
    {
        var config = JObject.Parse("""
            { "extra": { "CI": "true", "SHARED": "from config", "TASK_ID": "not the worker's" },
              "workerLocation": { "cloud": "aws", "region": "us-east-1" }, "instanceType": "m5.large" }
            """);
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new EnvPluginProvider(), config));
        harness.Engine.WorkingDirectory = "/tasks/task_1";
        var payload = JObject.Parse("""
            { "exitCode": 0, "env": { "SHARED": "from payload", "GREETING": "hello", "RUN_ID": "7", "TASK_WORKDIR": "/elsewhere",
              "TASKCLUSTER_INSTANCE_TYPE": "tiny", "TASKCLUSTER_ROOT_URL": "https://tc.example.com" } }
            """);

        var task = RunHarness.Task(payload);
        task["taskGroupId"] = "fakeTaskGroup000000000";

        var outcome = await harness.RunAsync(harness.CreateRunForTask(task));

        Assert.Equal(TaskRunState.Completed, outcome.State);
        var builder = harness.Engine.Builder!;
        Assert.Equal("fakeTaskId00000000000A", builder.Environment["TASK_ID"]);
        Assert.Equal("0", builder.Environment["RUN_ID"]);
        Assert.Equal("https://tc.example.com", builder.Environment["TASKCLUSTER_ROOT_URL"]);
        Assert.Equal("/tasks/task_1", builder.Environment["TASK_WORKDIR"]);
        Assert.Equal("""{"cloud":"aws","region":"us-east-1"}""", builder.Environment["TASKCLUSTER_WORKER_LOCATION"]);
        Assert.Equal("m5.large", builder.Environment["TASKCLUSTER_INSTANCE_TYPE"]);
        Assert.Equal("true", builder.Environment["CI"]);
        Assert.Equal("from payload", builder.Environment["SHARED"]);
        Assert.Equal("hello", builder.Environment["GREETING"]);
        Assert.Equal("fakeTaskGroup000000000", builder.Environment["TASK_GROUP_ID"]);
        // The same value in the payload is no override worth a line.
        Assert.Contains("The worker sets RUN_ID, TASK_WORKDIR, TASKCLUSTER_INSTANCE_TYPE itself; the value in the task's env is not used", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_working_directory_there_is_no_TASK_WORKDIR()
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new EnvPluginProvider()));

        await harness.RunAsync(new JObject { ["exitCode"] = 0 });

        Assert.False(harness.Engine.Builder!.Environment.ContainsKey("TASK_WORKDIR"));
        Assert.Equal("fakeTaskId00000000000A", harness.Engine.Builder.Environment["TASK_ID"]);
    }

    [Fact]
    public async Task A_variable_someone_else_sets_is_a_malformed_payload_naming_it()
    {
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new EnvPluginProvider()));
        harness.Engine.PresetEnvironment["HOME"] = "/home/task";

        await PluginTestKit.AssertMalformedAsync(
            harness, """{ "exitCode": 0, "env": { "HOME": "/tmp" } }""", "[tc-worker:error] The environment variable 'HOME' from the task's env is also set by another plugin\n");
    }
}
