using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Native;
using TcWorker.Engines.Testing;
using TcWorker.Errors;

namespace TcWorker.Engines.Native.Tests;

public sealed class NativeEngineTests() : EngineTestBase(() => new NativeEngineProvider(), () => new JObject { ["killGracePeriodSeconds"] = 0.5 })
{

    internal static JObject Commands(params string[][] commands) => new() { ["command"] = JArray.FromObject(commands) };

    internal static JObject Shell(string script) => Commands(["sh", "-c", script]);

    [SkippableFact]
    public async Task A_successful_command_reports_exit_code_zero_and_runs_in_the_task_directory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var (result, log) = await Harness.RunAsync(Shell("pwd; echo HOME=$HOME"));
        await using (result)
        {
            Assert.True(result.Success);
            Assert.Equal(0, result.ExitCode);
            var dir = log.LogText.Split('\n')[1];
            Assert.Contains("/tcw-native/task-", dir, StringComparison.Ordinal);
            Assert.Contains("HOME=" + dir, log.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task The_first_non_zero_exit_stops_the_sequence()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var (result, log) = await Harness.RunAsync(Commands(["sh", "-c", "echo first-ran"], ["sh", "-c", "exit 3"], ["sh", "-c", "echo third-ran"]));
        await using (result)
        {
            Assert.False(result.Success);
            Assert.Equal(3, result.ExitCode);
            Assert.Contains("first-ran", log.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("third-ran", log.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_command_that_does_not_exist_fails_the_task_with_a_clear_line()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var (result, log) = await Harness.RunAsync(Commands(["no-such-command-tcw"], ["sh", "-c", "echo never"]));
        await using (result)
        {
            Assert.False(result.Success);
            Assert.Contains("[tc-worker:error] Command not found: 'no-such-command-tcw'", log.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("never", log.LogText.Replace("echo never", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task The_environment_is_built_from_scratch_without_worker_credentials()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        Environment.SetEnvironmentVariable("TASKCLUSTER_ACCESS_TOKEN", "worker-secret-token-123");
        Environment.SetEnvironmentVariable("TASKCLUSTER_CLIENT_ID", "worker-client-id-123");
        var (result, log) = await Harness.RunAsync(Commands(["env"]), new Dictionary<string, string> { ["FOO"] = "bar baz", ["PATH"] = "/usr/bin:/bin" });
        await using (result)
        {
            Assert.True(result.Success);
            var text = log.LogText;
            Assert.DoesNotContain("worker-secret-token-123", text, StringComparison.Ordinal);
            Assert.DoesNotContain("worker-client-id-123", text, StringComparison.Ordinal);
            Assert.DoesNotContain("TASKCLUSTER_", text, StringComparison.Ordinal);
            Assert.Contains("FOO=bar baz\n", text, StringComparison.Ordinal);
            Assert.Contains("PATH=/usr/bin:/bin\n", text, StringComparison.Ordinal);
            Assert.Contains("HOME=", text, StringComparison.Ordinal);
            Assert.Contains("USER=", text, StringComparison.Ordinal);
            var names = text.Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('[')).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]).Order().ToList();
            Assert.Equal(["FOO", "HOME", "PATH", "TCW_SANDBOX_ID", "USER"], names);
        }
    }

    [SkippableFact]
    public async Task The_default_path_is_the_standard_one()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var (result, log) = await Harness.RunAsync(Shell("echo \"P=$PATH\""));
        await using (result)
        {
            Assert.Contains("P=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", log.LogText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Invalid_and_duplicate_environment_variables_are_refused()
    {
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = Commands(["true"]) });
        Assert.Throws<MalformedPayloadException>(() => builder.SetEnvironmentVariable("1BAD", "x"));
        Assert.Throws<MalformedPayloadException>(() => builder.SetEnvironmentVariable("BAD-NAME", "x"));
        Assert.Throws<MalformedPayloadException>(() => builder.SetEnvironmentVariable("A=B", "x"));
        builder.SetEnvironmentVariable("GOOD_NAME", "x");
        Assert.Throws<NamingConflictException>(() => builder.SetEnvironmentVariable("GOOD_NAME", "y"));
        Assert.Throws<NamingConflictException>(() => builder.SetEnvironmentVariable("TCW_SANDBOX_ID", "y"));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"command\": []}")]
    [InlineData("{\"command\": [[]]}")]
    [InlineData("{\"command\": [\"ls -l\"]}")]
    [InlineData("{\"command\": [[1]]}")]
    public async Task A_malformed_command_is_refused(string payload) =>
        await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = JObject.Parse(payload) }));

    [SkippableFact]
    public async Task Ten_megabytes_without_a_newline_and_non_utf8_bytes_arrive_intact()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var data = new byte[10 * 1024 * 1024];
        new Random(42).NextBytes(data);
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                data[i] = 0xFF;
            }
        }

        byte[] invalidUtf8 = [0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0xF0, 0x90, 0x28, 0xBC, 0xFE, 0xFF, 0x00];
        invalidUtf8.CopyTo(data, 0);
        var file = Harness.Environment.Environment.Storage.NewFilePath("payload");
        await File.WriteAllBytesAsync(file, data);

        var (result, log) = await Harness.RunAsync(Commands(["cat", file]));
        await using (result)
        {
            Assert.True(result.Success);
            var bytes = log.LogBytes;
            var start = bytes.AsSpan().IndexOf(data.AsSpan(0, 64));
            Assert.True(start >= 0, "The output's start is not in the log.");
            Assert.True(bytes.AsSpan(start).StartsWith(data), "The output arrived altered.");
        }
    }

    [SkippableFact]
    public async Task Artifacts_are_confined_to_the_task_directory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The native engine tests run on Linux.");
        var script = """
            mkdir -p out/nested && echo hello > out/a.txt && echo deep > out/nested/b.txt
            ln -s /etc/passwd out/leak
            ln -s .. out/up
            ln -s ../out/a.txt out/inner-link
            ln -s /etc escape-dir
            mkfifo out/fifo
            """;
        var (result, _) = await Harness.RunAsync(Shell(script));
        await using (result)
        {
            Assert.True(result.Success);
            await using (var stream = await result.OpenFileAsync("out/a.txt"))
            {
                Assert.Equal("hello\n", await new StreamReader(stream).ReadToEndAsync());
            }

            await using (var stream = await result.OpenFileAsync("out/inner-link"))
            {
                Assert.Equal("hello\n", await new StreamReader(stream).ReadToEndAsync());
            }

            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("out/leak"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("out/up/../../x"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../../../etc/passwd"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("/etc/passwd"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("escape-dir/passwd"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("out/missing.txt"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("out/fifo"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("out/nested"));

            var files = new Dictionary<string, SandboxFile>();
            await foreach (var file in result.EnumerateFolderAsync("out"))
            {
                files[file.RelativePath] = file;
            }

            Assert.Equal(["a.txt", "inner-link", "leak", "nested/b.txt"], files.Keys.Order().ToList());
            Assert.True(files["leak"].EscapesSandbox);
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => files["leak"].OpenAsync());
            await using (var stream = await files["nested/b.txt"].OpenAsync())
            {
                Assert.Equal("deep\n", await new StreamReader(stream).ReadToEndAsync());
            }

            await Assert.ThrowsAsync<PathEscapesSandboxException>(async () =>
            {
                await foreach (var _ in result.EnumerateFolderAsync("escape-dir"))
                {
                }
            });
            await Assert.ThrowsAsync<ResourceNotFoundException>(async () =>
            {
                await foreach (var _ in result.EnumerateFolderAsync("no-such-folder"))
                {
                }
            });
        }
    }

    [Fact]
    public void The_provider_describes_the_engine()
    {
        var provider = new NativeEngineProvider();
        Assert.Equal("native", provider.Name);
        Assert.Equal("boolean", provider.ConfigSchema["properties"]?["createUser"]?["type"]?.ToString());
        Assert.True(Harness.Engine.Capabilities.Supports(EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts | EngineFeatures.Kill | EngineFeatures.Proxies));
        Assert.Equal(OperatingSystem.IsLinux(), Harness.Engine.Capabilities.Supports(EngineFeatures.Volumes));
        Assert.False(Harness.Engine.Capabilities.Supports(EngineFeatures.VolumeOwners));
        Assert.Equal(0, Harness.Engine.Capabilities.MaxConcurrency);
        Assert.NotEmpty(Harness.Engine.Documentation);
        Assert.Equal("command", Harness.Engine.PayloadSchema["required"]?[0]?.ToString());
    }
}
