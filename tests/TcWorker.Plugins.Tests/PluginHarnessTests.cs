using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Plugins.Env;
using TcWorker.Plugins.LogPrefix;
using TcWorker.Plugins.MaxRunTime;
using TcWorker.Plugins.Success;
using TcWorker.Testing;

namespace TcWorker.Plugins.Tests;

/// <summary>Each plugin through a real task run on the mock engine, with the conformance kit's harness.</summary>
public sealed class PluginHarnessTests
{
    [Fact]
    public async Task Env_variables_of_the_payload_and_the_task_reach_the_engine()
    {
        await using var harness = await PluginHarness.CreateAsync(new EnvPluginProvider());

        (await harness.RunAsync(JObject.Parse("""{ "env": { "GREETING": "hello kit" } }"""), MockFunction.PrintEnvironmentVariable("GREETING")))
            .AssertCompleted()
            .AssertLogMatches("^hello kit$");
        (await harness.RunAsync([], MockFunction.PrintEnvironmentVariable("TASK_ID")))
            .AssertCompleted()
            .AssertLogMatches("^dGVzdC10YXNrLWlkLTAwMA$");
    }

    [Fact]
    public async Task Env_refuses_a_value_that_is_not_a_string()
    {
        await using var harness = await PluginHarness.CreateAsync(new EnvPluginProvider());

        (await harness.RunAsync(JObject.Parse("""{ "env": { "COUNT": 3 } }""")))
            .AssertException(ExceptionReason.MalformedPayload)
            .AssertLogContains("$.env.COUNT: expected a string, found 3");
    }

    [Fact]
    public async Task Success_fails_a_non_zero_exit_and_retries_a_listed_one()
    {
        await using var harness = await PluginHarness.CreateAsync(new SuccessPluginProvider());

        (await harness.RunAsync([], MockFunction.ExitCode(1))).AssertFailed();
        (await harness.RunAsync(JObject.Parse("""{ "onExitStatus": { "retry": [75] } }"""), MockFunction.ExitCode(75)))
            .AssertException(ExceptionReason.IntermittentTask)
            .AssertLogContains("Exit code 75 is listed in onExitStatus.retry");
    }

    [Fact]
    public async Task MaxRunTime_kills_a_task_over_its_limit()
    {
        await using var harness = await PluginHarness.CreateAsync(new MaxRunTimePluginProvider(), new JObject { ["maxRunTime"] = 60 });

        (await harness.RunAsync(new JObject { ["maxRunTime"] = 1 }, MockFunction.Sleep(TimeSpan.FromMinutes(5))))
            .AssertFailed()
            .AssertLogContains("[tc-worker:error] Task exceeded maxRunTime of 1 seconds; killed\n");
    }

    [Fact]
    public async Task MaxRunTime_lets_an_aborted_task_resolve_with_the_abort_reason()
    {
        await using var harness = await PluginHarness.CreateAsync(new MaxRunTimePluginProvider(), new JObject { ["maxRunTime"] = 60 });

        (await harness.RunAsync([], MockFunction.Sleep(TimeSpan.FromMinutes(5)), async run =>
        {
            while (!run.Log.IsClosed && run.Log.Length == 0)
            {
                await Task.Delay(10);
            }

            run.Abort(ExceptionReason.WorkerShutdown);
        }))
            .AssertException(ExceptionReason.WorkerShutdown)
            .AssertLogDoesNotContain("exceeded maxRunTime");
    }

    [Fact]
    public async Task LogPrefix_puts_the_configured_lines_first()
    {
        await using var harness = await PluginHarness.CreateAsync(new LogPrefixPluginProvider(), JObject.Parse("""{ "worker": "tc-worker 1.0.0", "image": "ubuntu-24.04", "cores": 8 }"""));

        (await harness.RunAsync([], MockFunction.WriteLog("task output")))
            .AssertCompleted()
            .AssertLogMatches(@"\A\[tc-worker\] cores: 8\n\[tc-worker\] image: ubuntu-24.04\n\[tc-worker\] worker: tc-worker 1.0.0\n\[tc-worker\] Task \S+ run 0 starting")
            .AssertLogMatches("^task output$");
    }
}
