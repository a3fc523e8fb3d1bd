using Newtonsoft.Json.Linq;
using TcWorker.Plugins.Env;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Plugins.Tests;

public sealed class EnvPluginTests
{
    [Fact]
    public async Task Sets_the_worker_variables_then_config_extras_then_the_payload_with_later_sources_winning()
    {
        var config = JObject.Parse("""{ "extra": { "CI": "true", "SHARED": "from config", "TASK_ID": "overridden by config" } }""");
        using var harness = PluginTestKit.Harness(PluginTestKit.Create(new EnvPluginProvider(), config));
        harness.Engine.WorkingDirectory = "/tasks/task_1";
        var payload = JObject.Parse("""{ "exitCode": 0, "env": { "SHARED": "from payload", "GREETING": "hello" } }""");

        var outcome = await harness.RunAsync(payload);

        Assert.Equal(TaskRunState.Completed, outcome.State);
        var builder = harness.Engine.Builder!;
        Assert.Equal("overridden by config", builder.Environment["TASK_ID"]);
        Assert.Equal("0", builder.Environment["RUN_ID"]);
        Assert.Equal("https://tc.example.com", builder.Environment["TASKCLUSTER_ROOT_URL"]);
        Assert.Equal("/tasks/task_1", builder.Environment["TASK_WORKDIR"]);
        Assert.Equal("true", builder.Environment["CI"]);
        Assert.Equal("from payload", builder.Environment["SHARED"]);
        Assert.Equal("hello", builder.Environment["GREETING"]);
        Assert.Equal(["TASK_ID", "RUN_ID", "TASKCLUSTER_ROOT_URL", "TASK_WORKDIR", "CI", "SHARED", "GREETING"], builder.SetOrder);
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
