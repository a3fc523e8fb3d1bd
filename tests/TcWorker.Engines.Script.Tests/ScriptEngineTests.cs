using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;
using TcWorker.Errors;

namespace TcWorker.Engines.Script.Tests;

public sealed class ScriptEngineTests : IAsyncLifetime
{
    private const string Script = """
        #!/bin/sh
        payload=$(cat)
        echo "payload: $payload"
        echo "task=$TASK_ID run=$RUN_ID"
        code=$(echo "$payload" | sed -n 's/.*"exitCode":\([0-9]*\).*/\1/p')
        mkdir -p artifacts/sub && echo art > artifacts/result.txt && echo nested > artifacts/sub/n.txt
        ln -s /etc/passwd artifacts/leak
        case "$payload" in
          *sleep*) s=$(echo "$payload" | sed -n 's/.*"sleep":"\([0-9.]*\)".*/\1/p'); setsid sleep "$s" & echo started; sleep "$s";;
          *escape*) rm -rf artifacts && ln -s /etc artifacts;;
        esac
        echo "first problem" >&2
        echo "second problem" >&2
        exit ${code:-0}
        """;

    private string scriptDir = null!;
    private EngineHarness harness = null!;

    public async Task InitializeAsync()
    {
        scriptDir = Path.Combine(Path.GetTempPath(), "tcw-script-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scriptDir);
        var path = Path.Combine(scriptDir, "run.sh");
        await File.WriteAllTextAsync(path, Script.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        harness = await EngineHarness.CreateAsync(new ScriptEngineProvider(), Config("./run.sh"));
    }

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync();
        Directory.Delete(scriptDir, recursive: true);
    }

    private JObject Config(string command) => new()
    {
        ["command"] = new JArray(command),
        ["workingDirectory"] = scriptDir,
        ["schema"] = new JObject
        {
            ["type"] = "object",
            ["properties"] = new JObject { ["exitCode"] = new JObject { ["type"] = "integer" } },
        },
        ["killGracePeriodSeconds"] = 0.5,
    };

    private static JObject Payload(int code) => new() { ["exitCode"] = code };

    [SkippableFact]
    public async Task Exit_code_0_succeeds_with_the_payload_on_stdin_and_the_task_ids_in_the_environment()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var (result, log) = await harness.RunAsync(Payload(0));
        await using (result)
        {
            Assert.True(result.Success);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("payload: {\"exitCode\":0}", log.LogText, StringComparison.Ordinal);
            Assert.Contains("task=dGVzdC10YXNrLWlkLTAwMA run=0", log.LogText, StringComparison.Ordinal);
            Assert.Contains("first problem\nsecond problem\n", log.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Exit_code_1_fails_the_task()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var (result, _) = await harness.RunAsync(Payload(1));
        await using (result)
        {
            Assert.False(result.Success);
            Assert.Equal(1, result.ExitCode);
        }
    }

    [SkippableFact]
    public async Task Exit_code_2_is_a_malformed_payload_with_the_stderr_lines_as_messages()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var error = await Assert.ThrowsAsync<MalformedPayloadException>(() => harness.RunAsync(Payload(2)));
        Assert.Equal(["first problem", "second problem"], error.Messages);
    }

    [SkippableFact]
    public async Task Exit_code_3_is_a_non_fatal_internal_error()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var error = await Assert.ThrowsAsync<NonFatalInternalException>(() => harness.RunAsync(Payload(3)));
        Assert.Contains("second problem", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Exit_code_4_is_a_fatal_internal_error()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        await Assert.ThrowsAsync<FatalInternalException>(() => harness.RunAsync(Payload(4)));
    }

    [SkippableFact]
    public async Task An_unexpected_exit_code_is_a_non_fatal_internal_error()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        await Assert.ThrowsAsync<NonFatalInternalException>(() => harness.RunAsync(Payload(9)));
    }

    [SkippableFact]
    public async Task Artifacts_come_from_the_artifacts_folder_and_stay_inside_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var (result, _) = await harness.RunAsync(Payload(0));
        await using (result)
        {
            await using (var stream = await result.OpenFileAsync("result.txt"))
            {
                Assert.Equal("art\n", await new StreamReader(stream).ReadToEndAsync());
            }

            var files = new List<string>();
            await foreach (var file in result.EnumerateFolderAsync("."))
            {
                files.Add(file.RelativePath + (file.EscapesSandbox ? " (escapes)" : string.Empty));
            }

            Assert.Equal(["leak (escapes)", "result.txt", "sub/n.txt"], files.Order().ToList());
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("leak"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../artifacts/../../x"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("missing"));
        }
    }

    [SkippableFact]
    public async Task An_artifacts_folder_replaced_by_a_symlink_is_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var (result, _) = await harness.RunAsync(new JObject { ["mode"] = "escape" });
        await using (result)
        {
            Assert.True(result.Success);
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("passwd"));
        }
    }

    [SkippableFact]
    public async Task Kill_stops_the_script_and_its_children()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The script engine tests run on Linux.");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (sandbox, task) = await harness.StartAsync(new JObject { ["sleep"] = seconds });
        await using (sandbox)
        {
            await task.WaitForLogAsync("started");
            await HostProcesses.WaitForAsync("sleep " + seconds, 2);
            await sandbox.KillAsync();
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
            await using var result = await sandbox.WaitForResultAsync();
            Assert.False(result.Success);
        }
    }

    [Fact]
    public void A_command_that_does_not_exist_is_a_fatal_config_error()
    {
        Assert.Throws<FatalInternalException>(() => new ScriptEngineProvider().Create(new EngineOptions { Config = Config("./no-such-script.sh"), Environment = harness.Environment.Environment, Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance }));
    }

    [Fact]
    public void The_payload_schema_comes_from_the_config()
    {
        Assert.Equal("integer", harness.Engine.PayloadSchema["properties"]?["exitCode"]?["type"]?.ToString());
        Assert.Equal("script", new ScriptEngineProvider().Name);
        Assert.NotEmpty(harness.Engine.Documentation);
    }
}
