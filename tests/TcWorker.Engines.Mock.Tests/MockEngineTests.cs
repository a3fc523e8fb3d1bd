using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock.Tests;

public sealed class MockEngineTests() : EngineTestBase(() => new MockEngineProvider(), () => new JObject())
{

    private static JObject Payload(string function, string? argument = null, int? delay = null)
    {
        var payload = new JObject { ["function"] = function };
        if (argument is not null)
        {
            payload["argument"] = argument;
        }

        if (delay is not null)
        {
            payload["delay"] = delay;
        }

        return payload;
    }

    [Theory]
    [InlineData("true", true, 0)]
    [InlineData("false", false, 1)]
    public async Task True_and_false(string function, bool success, int exitCode)
    {
        var (result, _) = await Harness.RunAsync(Payload(function, delay: 5));
        await using (result)
        {
            Assert.Equal(success, result.Success);
            Assert.Equal(exitCode, result.ExitCode);
        }
    }

    [Fact]
    public async Task Exit_code_and_write_log()
    {
        var (result, _) = await Harness.RunAsync(Payload("exit-code", "7"));
        await using (result)
        {
            Assert.False(result.Success);
            Assert.Equal(7, result.ExitCode);
        }

        var (logged, log) = await Harness.RunAsync(Payload("write-log", "hello log"));
        await using (logged)
        {
            Assert.True(logged.Success);
            Assert.Equal("hello log\n", log.LogText);
        }
    }

    [Fact]
    public async Task Errors_after_start_come_from_wait_for_result()
    {
        var malformed = await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.RunAsync(Payload("malformed-payload-after-start", "bad thing")));
        Assert.Equal(["bad thing"], malformed.Messages);
        await Assert.ThrowsAsync<FatalInternalException>(() => Harness.RunAsync(Payload("fatal-internal-error")));
        await Assert.ThrowsAsync<NonFatalInternalException>(() => Harness.RunAsync(Payload("nonfatal-internal-error")));
    }

    [Fact]
    public async Task Unknown_functions_and_bad_delays_are_malformed()
    {
        await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = Payload("no-such-function") }));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = Payload("true", delay: -1) }));
    }

    [Fact]
    public async Task Print_env_shows_every_variable_or_the_one_named()
    {
        var (result, log) = await Harness.RunAsync(Payload("print-env"), new Dictionary<string, string> { ["B_VAR"] = "2", ["A_VAR"] = "1" });
        await using (result)
        {
            Assert.Equal("A_VAR=1\nB_VAR=2\n", log.LogText);
        }

        var (one, oneLog) = await Harness.RunAsync(Payload("print-env", "A_VAR"), new Dictionary<string, string> { ["A_VAR"] = "only" });
        await using (one)
        {
            Assert.Equal("only\n", oneLog.LogText);
        }
    }

    [Fact]
    public async Task Ping_proxy_calls_the_handler_in_memory()
    {
        var task = Harness.NewTask();
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = Payload("ping-proxy", "myproxy") });
        string? seenPath = null;
        var endpoint = await builder.AttachProxyAsync("myproxy", async context =>
        {
            seenPath = context.Request.Path;
            await context.Response.WriteAsync("pong");
        });
        Assert.Equal("http://mock-proxy/myproxy/", endpoint.Url.ToString());
        await Assert.ThrowsAsync<NamingConflictException>(() => builder.AttachProxyAsync("myproxy", _ => Task.CompletedTask));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => builder.AttachProxyAsync("NO", _ => Task.CompletedTask));
        await using var sandbox = await builder.StartAsync();
        await using var result = await sandbox.WaitForResultAsync();
        Assert.True(result.Success);
        Assert.Equal("/v1/ping", seenPath);
        Assert.Equal("pong\n", task.LogText);
    }

    [Fact]
    public async Task Write_files_fills_the_result_set()
    {
        var files = new JObject { ["public/a.txt"] = "A", ["public/sub/b.txt"] = "B", ["other.txt"] = "O" };
        var (result, _) = await Harness.RunAsync(Payload("write-files", files.ToString()));
        await using (result)
        {
            await using (var stream = await result.OpenFileAsync("public/a.txt"))
            {
                Assert.Equal("A", await new StreamReader(stream).ReadToEndAsync());
            }

            var listed = new List<string>();
            await foreach (var file in result.EnumerateFolderAsync("public"))
            {
                listed.Add(file.RelativePath);
            }

            Assert.Equal(["a.txt", "sub/b.txt"], listed.Order().ToList());
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync("missing.txt"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../a.txt"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("/etc/passwd"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(async () =>
            {
                await foreach (var _ in result.EnumerateFolderAsync("nothing-here"))
                {
                }
            });
        }
    }

    [Fact]
    public async Task Kill_ends_a_sleep_with_an_unsuccessful_result()
    {
        var (sandbox, _) = await Harness.StartAsync(Payload("sleep", "60000"));
        await using (sandbox)
        {
            await sandbox.KillAsync();
            await using var result = await sandbox.WaitForResultAsync();
            Assert.False(result.Success);
            Assert.Null(result.ExitCode);
            Assert.Same(result, await sandbox.WaitForResultAsync());
        }
    }

    [Fact]
    public async Task A_volume_built_with_the_marker_reads_at_its_mount_point_and_mount_points_are_unique()
    {
        await using var volumeBuilder = await Harness.Engine.CreateVolumeBuilderAsync(new VolumeOptions());
        await volumeBuilder.WriteFileAsync("mock-volume-marker", new MemoryStream([1]));
        await using var preloaded = await volumeBuilder.BuildAsync();
        await using var b = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = Payload("read-volume", "/data") });
        b.AttachVolume(new VolumeMount { MountPoint = "/data", Volume = preloaded, ReadOnly = true });
        Assert.Throws<NamingConflictException>(() => b.AttachVolume(new VolumeMount { MountPoint = "/data", Volume = preloaded, ReadOnly = true }));
        await using var s = await b.StartAsync();
        await using var r = await s.WaitForResultAsync();
        Assert.True(r.Success);
    }

    [Fact]
    public void The_schema_lists_properties_and_required_only()
    {
        var schema = Harness.Engine.PayloadSchema;
        Assert.Null(schema["additionalProperties"]);
        Assert.Equal(["function"], schema["required"]!.Values<string>().ToList());
        Assert.Contains("ping-proxy", schema["properties"]!["function"]!["enum"]!.Values<string>());
        Assert.Equal("mock", new MockEngineProvider().Name);
        Assert.True(Harness.Engine.Capabilities.Supports(EngineFeatures.Proxies | EngineFeatures.Volumes | EngineFeatures.Kill | EngineFeatures.Artifacts | EngineFeatures.EnvironmentVariables));
    }
}
