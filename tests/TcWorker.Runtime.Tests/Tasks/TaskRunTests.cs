using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Runtime.Schemas;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Tasks.Fakes;

namespace TcWorker.Runtime.Tests.Tasks;

public sealed class TaskRunTests : IDisposable
{
    private readonly RunHarness harness;
    private readonly ScriptedPlugin first;
    private readonly ScriptedPlugin second;

    public TaskRunTests()
    {
        harness = new RunHarness();
        first = new ScriptedPlugin("first", Events, Schema("""{ "firstKey": { "type": "string" } }"""));
        second = new ScriptedPlugin("second", Events, Schema("""{ "secondKey": { "type": "integer" } }"""));
        harness.Plugins.Add(new NamedPlugin("first", first));
        harness.Plugins.Add(new NamedPlugin("second", second));
    }

    private EventLog Events => harness.Events;

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task A_successful_task_goes_through_every_stage_in_order_and_completes()
    {
        var outcome = await harness.RunAsync(Payload(exitCode: 0, output: "hello from the task\n"));

        Assert.Equal(TaskRunState.Completed, outcome.State);
        Assert.Null(outcome.Reason);
        Assert.False(outcome.Fatal);
        Assert.Equal(0, outcome.ExitCode);
        Assert.True(outcome.ShouldReport);
        var order = new[] { "first:create", "first:build", "engine:start", "first:started", "first:stopped", "first:finished", "result:dispose", "sandbox:dispose", "builder:dispose", "second:dispose", "first:dispose" };
        AssertInOrder(order);
        Assert.Equal(order.Length, order.Distinct().Count());
        Assert.True(first.FinishedWith);
        Assert.True(first.LogClosedAtEnd);
        Assert.Null(first.ExceptionReason);
        Assert.Contains("[tc-worker] Task fakeTaskId00000000000A run 0 starting on engine 'scripted'\n", harness.LogText, StringComparison.Ordinal);
        Assert.Contains("hello from the task\n[tc-worker] Exit code 0\n", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("[tc-worker] Task fakeTaskId00000000000A run 0 resolved as completed\n", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_zero_exit_fails_the_task_through_the_plugins_answer()
    {
        var outcome = await harness.RunAsync(Payload(exitCode: 3));

        Assert.Equal(TaskRunState.Failed, outcome.State);
        Assert.Equal(3, outcome.ExitCode);
        Assert.False(first.FinishedWith);
        Assert.Contains("[tc-worker] Exit code 3\n", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("resolved as failed\n", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Success_comes_only_from_plugins()
    {
        using var bare = new RunHarness();

        var outcome = await bare.RunAsync(Payload(exitCode: 5));

        Assert.Equal(TaskRunState.Completed, outcome.State);
        Assert.Equal(5, outcome.ExitCode);
    }

    [Fact]
    public async Task Each_plugin_and_the_engine_get_only_their_own_payload_keys()
    {
        var payload = Payload(exitCode: 0);
        payload["firstKey"] = "a";
        payload["secondKey"] = 2;

        await harness.RunAsync(payload);

        Assert.Equal(new JObject { ["firstKey"] = "a" }, Assert.Single(first.Payloads), JToken.EqualityComparer);
        Assert.Equal(new JObject { ["secondKey"] = 2 }, Assert.Single(second.Payloads), JToken.EqualityComparer);
        Assert.Equal(new JObject { ["exitCode"] = 0 }, harness.Engine.Builder!.Options.Payload, JToken.EqualityComparer);
    }

    [Fact]
    public async Task An_invalid_payload_is_malformed_with_every_violation_in_the_log_and_the_engine_untouched()
    {
        var payload = new JObject { ["exitCode"] = "zero", ["bogus"] = 1, ["mounts"] = new JArray(), ["secondKey"] = "two", ["firstKey"] = "fine" };

        var outcome = await harness.RunAsync(payload);

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.False(outcome.Fatal);
        Assert.Contains("[tc-worker:error] $.exitCode: expected an integer", harness.LogText, StringComparison.Ordinal);
        Assert.Contains("'bogus' is not allowed", harness.LogText, StringComparison.Ordinal);
        Assert.Contains("[tc-worker:error] $.secondKey: expected an integer", harness.LogText, StringComparison.Ordinal);
        Assert.Contains("[tc-worker:error] $.mounts: the generic-worker payload key 'mounts' is not supported by this worker yet", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("resolved as exception/malformed-payload\n", harness.LogText, StringComparison.Ordinal);
        Assert.False(Events.Contains("engine:create-builder"));

        // The plugin with valid keys is created and told; the one with invalid keys gets a do-nothing task plugin.
        Assert.Equal(ExceptionReason.MalformedPayload, first.ExceptionReason);
        Assert.True(first.LogClosedAtEnd);
        Assert.True(Events.Contains("first:dispose"));
        Assert.False(Events.Contains("second:create"));
    }

    [Fact]
    public async Task A_payload_that_is_not_an_object_is_malformed()
    {
        using var bare = new RunHarness();
        var task = RunHarness.Task([]);
        task["payload"] = new JArray();

        var outcome = await bare.RunAsync(bare.CreateRunForTask(task));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Contains("$: the task payload must be an object", bare.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_payload_found_after_start_resolves_malformed_and_still_disposes()
    {
        harness.Engine.OnWait = Behave.Throw(new MalformedPayloadException("the image 'nope' does not exist"));

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Contains("[tc-worker:error] the image 'nope' does not exist\n", harness.LogText, StringComparison.Ordinal);
        Assert.Equal(ExceptionReason.MalformedPayload, first.ExceptionReason);
        Assert.False(Events.Contains("first:stopped"));
        AssertInOrder("sandbox:abort", "first:exception", "sandbox:dispose", "builder:dispose", "second:dispose", "first:dispose");
    }

    public static TheoryData<string, bool> EngineStages => new()
    {
        { "create-builder", true }, { "create-builder", false },
        { "start", true }, { "start", false },
        { "wait", true }, { "wait", false },
    };

    [Theory]
    [MemberData(nameof(EngineStages))]
    public async Task Engine_errors_are_internal_errors_and_fatal_ones_are_flagged(string stage, bool fatal)
    {
        Exception error = fatal ? new FatalInternalException("the engine is broken") : new InvalidOperationException("the engine hiccupped");
        var behaviour = Behave.Throw(error);
        switch (stage)
        {
            case "create-builder": harness.Engine.OnCreateBuilder = behaviour; break;
            case "start": harness.Engine.OnStart = behaviour; break;
            default: harness.Engine.OnWait = behaviour; break;
        }

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.InternalError, outcome.Reason);
        Assert.Equal(fatal, outcome.Fatal);
        Assert.Same(error, outcome.Error);
        Assert.Contains($"[tc-worker:error] Internal error in engine 'scripted'", harness.LogText, StringComparison.Ordinal);
        Assert.Contains(error.Message, harness.LogText, StringComparison.Ordinal);
        Assert.Equal(ExceptionReason.InternalError, first.ExceptionReason);
        Assert.True(Events.Contains("first:dispose"));
        Assert.True(Events.Contains("second:dispose"));
    }

    public static TheoryData<string, string> PluginHookErrors
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var hook in new[] { "create", "build", "started", "stopped" })
            {
                foreach (var kind in new[] { "fatal", "plain", "non-fatal", "task", "malformed" })
                {
                    data.Add(hook, kind);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(PluginHookErrors))]
    public async Task Plugin_hook_errors_map_to_the_run_outcome(string hook, string kind)
    {
        second.Hooks[hook] = Behave.Throw(kind switch
        {
            "fatal" => new FatalInternalException("plugin broke"),
            "plain" => new InvalidOperationException("plugin bug"),
            "non-fatal" => new NonFatalInternalException("plugin trouble"),
            "task" => new TaskException(ExceptionReason.ResourceUnavailable, "no GPU today"),
            _ => new MalformedPayloadException("secondKey makes no sense"),
        });

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(
            kind switch { "task" => ExceptionReason.ResourceUnavailable, "malformed" => ExceptionReason.MalformedPayload, _ => ExceptionReason.InternalError },
            outcome.Reason);
        Assert.Equal(kind == "fatal", outcome.Fatal);
        Assert.Contains(
            kind switch { "task" => "[tc-worker:error] no GPU today\n", "malformed" => "[tc-worker:error] secondKey makes no sense\n", _ => $"[tc-worker:error] Internal error in plugin 'second' ({hook})" },
            harness.LogText,
            StringComparison.Ordinal);
        Assert.Equal(outcome.Reason, first.ExceptionReason);
        Assert.Null(first.FinishedWith);
        Assert.True(Events.Contains("first:dispose"));
        Assert.Equal(hook != "create", Events.Contains("second:dispose"));
        Assert.Equal(hook is "started" or "stopped", Events.Contains("sandbox:dispose"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_error_in_a_finished_hook_makes_the_run_an_internal_error_without_exception_hooks(bool fatal)
    {
        second.Hooks["finished"] = Behave.Throw(fatal ? new FatalInternalException("upload broke") : new InvalidOperationException("upload failed"));

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(ExceptionReason.InternalError, outcome.Reason);
        Assert.Equal(fatal, outcome.Fatal);
        Assert.True(first.FinishedWith);
        Assert.Null(first.ExceptionReason);
        Assert.True(Events.Contains("first:dispose"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_error_in_an_exception_hook_keeps_the_reason_and_flags_fatal_ones(bool fatal)
    {
        harness.Engine.OnStart = Behave.Throw(new MalformedPayloadException("no such image"));
        second.Hooks["exception"] = Behave.Throw(fatal ? new FatalInternalException("broke") : new InvalidOperationException("oops"));

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Equal(fatal, outcome.Fatal);
        Assert.True(Events.Contains("second:dispose"));
    }

    [Fact]
    public async Task An_error_when_disposing_does_not_change_the_outcome_but_fatal_ones_are_flagged()
    {
        first.Hooks["dispose"] = Behave.Throw(new FatalInternalException("cannot clean up"));

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(TaskRunState.Completed, outcome.State);
        Assert.True(outcome.Fatal);
    }

    [Fact]
    public async Task Errors_from_concurrent_hooks_merge_with_fatal_first_and_malformed_messages_all_logged()
    {
        first.Hooks["build"] = Behave.Throw(new MalformedPayloadException("first is unhappy"));
        second.Hooks["build"] = Behave.Throw(new MalformedPayloadException("second is unhappy"));

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Equal(["first is unhappy", "second is unhappy"], Assert.IsType<MalformedPayloadException>(outcome.Error).Messages);
        Assert.Contains("[tc-worker:error] first is unhappy\n", harness.LogText, StringComparison.Ordinal);
        Assert.Contains("[tc-worker:error] second is unhappy\n", harness.LogText, StringComparison.Ordinal);

        using var other = new RunHarness(("a", new ScriptedPlugin("a", new EventLog())), ("b", new ScriptedPlugin("b", new EventLog())));
        ((ScriptedPlugin)other.Plugins[0].Plugin).Hooks["build"] = Behave.Throw(new MalformedPayloadException("bad"));
        ((ScriptedPlugin)other.Plugins[1].Plugin).Hooks["build"] = Behave.Throw(new FatalInternalException("broken"));
        var merged = await other.RunAsync(Payload(exitCode: 0));
        Assert.Equal(ExceptionReason.InternalError, merged.Reason);
        Assert.True(merged.Fatal);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("build")]
    [InlineData("started")]
    [InlineData("stopped")]
    [InlineData("finished")]
    public async Task A_hanging_plugin_hook_times_out_as_an_internal_error(string hook)
    {
        // Long enough that the hooks that do not hang finish in time on a loaded machine.
        harness.HookTimeout = TimeSpan.FromSeconds(1);
        second.Hooks[hook] = Behave.Hang;

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.InternalError, outcome.Reason);
        Assert.False(outcome.Fatal);
        if (hook != "finished")
        {
            Assert.Contains($"[tc-worker:error] Internal error: plugin 'second' ({hook}) did not finish within 1 s\n", harness.LogText, StringComparison.Ordinal);
            Assert.Equal(ExceptionReason.InternalError, first.ExceptionReason);
        }

        Assert.True(Events.Contains("first:dispose"));
        Assert.False(Events.Contains("second:dispose"));
    }

    [Fact]
    public async Task A_hook_that_blocks_its_thread_still_times_out()
    {
        using var gate = new ManualResetEventSlim();
        harness.HookTimeout = TimeSpan.FromSeconds(1);
        second.Hooks["build"] = _ =>
        {
            gate.Wait();
            return Task.CompletedTask;
        };

        try
        {
            var outcome = await harness.RunAsync(Payload(exitCode: 0));

            Assert.Equal(ExceptionReason.InternalError, outcome.Reason);
            Assert.Contains("plugin 'second' (build) did not finish within 1 s", harness.LogText, StringComparison.Ordinal);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task A_hanging_exception_hook_or_disposal_does_not_hold_up_the_run_or_change_its_outcome()
    {
        harness.HookTimeout = TimeSpan.FromSeconds(1);
        harness.Engine.OnStart = Behave.Throw(new MalformedPayloadException("no such image"));
        second.Hooks["exception"] = Behave.Hang;
        first.Hooks["dispose"] = Behave.Hang;

        var outcome = await harness.RunAsync(Payload(exitCode: 0));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.False(outcome.Fatal);
        Assert.Equal(ExceptionReason.MalformedPayload, first.ExceptionReason);
        Assert.False(Events.Contains("second:dispose"));
        Assert.True(Events.Contains("builder:dispose"));
    }

    [Fact]
    public async Task An_abort_during_a_hook_that_ignores_it_keeps_the_abort_reason_once_the_hook_times_out()
    {
        harness.HookTimeout = TimeSpan.FromMilliseconds(500);
        var entered = new TaskCompletionSource();
        second.Hooks["build"] = _ =>
        {
            entered.SetResult();
            return new TaskCompletionSource().Task;
        };
        var outcome = await AbortOnceEnteredAsync(harness.CreateRun(Payload(exitCode: 0)), entered.Task, ExceptionReason.Canceled);

        Assert.Equal(ExceptionReason.Canceled, outcome.Reason);
        Assert.Contains("plugin 'second' (build) did not finish within 0.5 s", harness.LogText, StringComparison.Ordinal);
        Assert.Equal(ExceptionReason.Canceled, first.ExceptionReason);
        Assert.Null(second.ExceptionReason);
        Assert.False(Events.Contains("second:exception"));
    }

    [Theory]
    [InlineData("", 1000)]
    [InlineData("https://tc.example.com", 0)]
    [InlineData("https://tc.example.com", -5)]
    public void The_factory_rejects_options_without_a_root_url_or_a_positive_hook_timeout(string rootUrl, int timeoutMilliseconds)
    {
        var components = new TaskRunComponents("scripted", harness.Engine, []);
        var options = new TaskRunOptions { RootUrl = rootUrl, HookTimeout = TimeSpan.FromMilliseconds(timeoutMilliseconds) };

        Assert.ThrowsAny<ArgumentException>(() => new TaskRunFactory(components, options));
    }

    public static TheoryData<string, ExceptionReason> AbortStages
    {
        get
        {
            var data = new TheoryData<string, ExceptionReason>();
            foreach (var stage in new[] { "before", "create-builder", "create", "build", "start", "started", "wait", "stopped" })
            {
                data.Add(stage, ExceptionReason.WorkerShutdown);
                data.Add(stage, ExceptionReason.Canceled);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AbortStages))]
    public async Task An_abort_at_any_stage_resolves_with_its_reason_and_disposes_everything(string stage, ExceptionReason reason)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var payload = Payload(exitCode: 0);
        switch (stage)
        {
            case "before": entered.SetResult(); break;
            case "create-builder": harness.Engine.OnCreateBuilder = Behave.WaitForCancel(entered); break;
            case "start": harness.Engine.OnStart = Behave.WaitForCancel(entered); break;
            case "wait":
                payload["hang"] = true;
                first.Hooks["started"] = _ =>
                {
                    entered.SetResult();
                    return Task.CompletedTask;
                };
                break;
            default: first.Hooks[stage] = Behave.WaitForCancel(entered); break;
        }

        var run = harness.CreateRun(payload);
        if (stage == "before")
        {
            run.Abort(reason);
        }

        var outcome = await AbortOnceEnteredAsync(
            run, entered.Task, reason, reason == ExceptionReason.Canceled ? ExceptionReason.WorkerShutdown : ExceptionReason.Canceled);

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(reason, outcome.Reason);
        Assert.Equal(reason != ExceptionReason.Canceled, outcome.ShouldReport);
        Assert.False(outcome.Fatal);
        Assert.True(run.Context.Aborted.IsCancellationRequested);
        Assert.Contains($"[tc-worker:error] Run aborted: {reason.ToWireString()}\n", harness.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain("Internal error", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith($"resolved as exception/{reason.ToWireString()}\n", harness.LogText, StringComparison.Ordinal);
        if (stage != "before")
        {
            // A plugin whose creation was cut short has nothing to tell or dispose.
            Assert.Equal(stage == "create" ? null : reason, first.ExceptionReason);
            Assert.Equal(stage != "create", Events.Contains("first:dispose"));
            Assert.Equal(reason, second.ExceptionReason);
            Assert.True(Events.Contains("second:dispose"));
        }

        Assert.Equal(stage is "started" or "wait" or "stopped", Events.Contains("sandbox:dispose"));
        Assert.Equal(stage is "started" or "stopped", Events.Contains("result:dispose"));

        if (stage is "started" or "wait")
        {
            Assert.True(Events.Contains("sandbox:abort"));
        }
    }

    [Fact]
    public async Task An_engine_call_that_ignores_the_abort_is_left_behind_and_its_builder_disposed_when_it_arrives()
    {
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        harness.Engine.OnCreateBuilder = async _ =>
        {
            entered.SetResult();
            await release.Task;
        };
        var outcome = await AbortOnceEnteredAsync(harness.CreateRun(Payload(exitCode: 0)), entered.Task, ExceptionReason.WorkerShutdown);
        Assert.Equal(ExceptionReason.WorkerShutdown, outcome.Reason);
        Assert.False(Events.Contains("builder:dispose"));

        release.SetResult();
        await WaitUntilAsync(() => Events.Contains("builder:dispose"));
    }

    [Fact]
    public async Task Cancelling_RunAsync_is_a_worker_shutdown()
    {
        var entered = new TaskCompletionSource();
        first.Hooks["build"] = Behave.WaitForCancel(entered);
        using var stopNow = new CancellationTokenSource();
        var run = harness.CreateRun(Payload(exitCode: 0));

        var running = run.RunAsync(stopNow.Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stopNow.CancelAsync();

        Assert.Equal(ExceptionReason.WorkerShutdown, (await running.WaitAsync(TimeSpan.FromSeconds(10))).Reason);
    }

    [Fact]
    public async Task An_abort_after_the_result_is_decided_does_not_change_it()
    {
        var run = harness.CreateRun(Payload(exitCode: 0));
        first.Hooks["finished"] = _ =>
        {
            run.Abort(ExceptionReason.Canceled);
            return Task.CompletedTask;
        };

        var outcome = await harness.RunAsync(run);

        Assert.Equal(TaskRunState.Completed, outcome.State);
    }

    [SkippableFact]
    public async Task A_task_log_that_cannot_be_written_is_an_internal_error_not_a_crash()
    {
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full");
        harness.LogPath = "/dev/full";
        var run = harness.CreateRun(Payload(exitCode: 0, output: "lost"));
        run.Abort(ExceptionReason.Canceled);
        Assert.IsAssignableFrom<IOException>(run.Log.WriteError);

        var outcome = await run.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExceptionReason.Canceled, outcome.Reason);

        using var other = new RunHarness { LogPath = "/dev/full" };
        var failed = await other.CreateRun(Payload(exitCode: 0, output: "lost")).RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TaskRunState.Exception, failed.State);
        Assert.Equal(ExceptionReason.InternalError, failed.Reason);
        Assert.IsAssignableFrom<IOException>(failed.Error);
    }

    [Fact]
    public async Task A_run_runs_only_once()
    {
        var run = harness.CreateRun(Payload(exitCode: 0));
        await harness.RunAsync(run);

        await Assert.ThrowsAsync<InvalidOperationException>(() => run.RunAsync());
    }

    [Fact]
    public void Two_components_claiming_one_payload_key_is_a_schema_conflict()
    {
        using var conflicting = new RunHarness(("claims-exit-code", new ScriptedPlugin("x", new EventLog(), Schema("""{ "exitCode": { "type": "integer" } }"""))));

        var error = Assert.Throws<SchemaConflictException>(() => conflicting.CreateRun(Payload(exitCode: 0)));
        Assert.Contains("'exitCode' is claimed by both engine 'scripted' and plugin 'claims-exit-code'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_context_carries_the_task_and_replaced_credentials()
    {
        var run = harness.CreateRun(Payload(exitCode: 0));
        var context = run.Context;

        Assert.Equal("fakeTaskId00000000000A", context.TaskId);
        Assert.Equal("https://tc.example.com", context.RootUrl);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), context.Deadline);
        Assert.Equal("client", context.Credentials.ClientId);
        run.ReplaceCredentials(new("client-2", "secret-2", "{}", null));
        Assert.Equal("client-2", context.Credentials.ClientId);
        await run.DisposeAsync();
        Assert.True(run.Log.IsClosed);
    }

    internal static JObject Payload(int exitCode, string? output = null)
    {
        var payload = new JObject { ["exitCode"] = exitCode };
        if (output is not null)
        {
            payload["output"] = output;
        }

        return payload;
    }

    private static JObject Schema(string properties) => new() { ["type"] = "object", ["properties"] = JObject.Parse(properties) };

    /// <summary>Runs, waits until a component signals it is inside a stage, then aborts with each reason in turn.</summary>
    private async Task<TaskRunOutcome> AbortOnceEnteredAsync(TaskRun run, Task entered, params ExceptionReason[] reasons)
    {
        var running = harness.RunAsync(run);
        await entered.WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var reason in reasons)
        {
            run.Abort(reason);
        }

        return await running;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition never became true");
            await Task.Delay(10);
        }
    }

    private void AssertInOrder(params string[] expected)
    {
        var indexes = expected.Select(Events.IndexOf).ToArray();
        Assert.All(indexes.Zip(expected), pair => Assert.True(pair.First >= 0, $"'{pair.Second}' did not happen: {string.Join(", ", Events.Items)}"));
        Assert.True(indexes.SequenceEqual(indexes.Order()), $"expected order {string.Join(", ", expected)} but saw {string.Join(", ", Events.Items)}");
    }
}
