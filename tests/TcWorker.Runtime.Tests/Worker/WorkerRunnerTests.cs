using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Tests.Worker;

/// <summary>A fake worker-runner drives the protocol over pipes, as the real one does over stdin/stdout.</summary>
public sealed class WorkerRunnerProtocolTests : IAsyncLifetime
{
    private readonly Pipe toWorker = new();
    private readonly Pipe fromWorker = new();
    private readonly WorkerLifetime lifetime = new();
    private readonly List<TaskclusterCredentials> credentials = [];
    private StreamWriter runnerOut = null!;
    private StreamReader runnerIn = null!;
    private WorkerRunnerProtocol protocol = null!;

    public Task InitializeAsync()
    {
        runnerOut = new StreamWriter(toWorker.Writer.AsStream()) { AutoFlush = true };
        runnerIn = new StreamReader(fromWorker.Reader.AsStream());
        protocol = new WorkerRunnerProtocol(
            new StreamReader(toWorker.Reader.AsStream()),
            new StreamWriter(fromWorker.Writer.AsStream()),
            lifetime,
            c => { lock (credentials) { credentials.Add(c); } },
            NullLogger.Instance);
        protocol.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await protocol.DisposeAsync();
        lifetime.Dispose();
    }

    private async Task<JObject> ReadMessageAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = await runnerIn.ReadLineAsync(timeout.Token);
        Assert.NotNull(line);
        Assert.StartsWith("~{", line, StringComparison.Ordinal);
        return JObject.Parse(line[1..]);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task Welcome_is_answered_with_hello_and_the_capabilities_both_sides_have()
    {
        await runnerOut.WriteLineAsync("""~{"type": "welcome", "capabilities": ["graceful-termination", "new-credentials", "log", "shutdown"]}""");
        var hello = await ReadMessageAsync();
        Assert.Equal("hello", (string)hello["type"]!);
        Assert.Equal(["graceful-termination", "new-credentials", "shutdown", "log"], hello["capabilities"]!.Values<string>());
        Assert.Equal(["graceful-termination", "new-credentials", "shutdown", "log"], await protocol.Capabilities);
    }

    [Fact]
    public async Task Non_protocol_lines_and_unknown_messages_are_ignored()
    {
        await runnerOut.WriteLineAsync("some log line from the runner");
        await runnerOut.WriteLineAsync("~{not json");
        await runnerOut.WriteLineAsync("""~{"type": "mystery"}""");
        await runnerOut.WriteLineAsync("""~{"type": "welcome", "capabilities": []}""");
        var hello = await ReadMessageAsync();
        Assert.Empty(hello["capabilities"]!);
        Assert.False(lifetime.Stopping.IsCancellationRequested);
    }

    [Fact]
    public async Task New_credentials_reach_the_worker()
    {
        await runnerOut.WriteLineAsync("""~{"type": "welcome", "capabilities": ["new-credentials"]}""");
        await ReadMessageAsync();
        await runnerOut.WriteLineAsync("""~{"type": "new-credentials", "client-id": "worker/static/p/w/g/i", "access-token": "fresh", "certificate": "{\"version\":1}"}""");
        await EventuallyAsync(() => { lock (credentials) { return credentials.Count == 1; } });
        Assert.Equal("worker/static/p/w/g/i", credentials[0].ClientId);
        Assert.Equal("fresh", credentials[0].AccessToken);
        Assert.Equal("{\"version\":1}", credentials[0].Certificate);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Graceful_termination_stops_the_worker_finishing_tasks_or_not(bool finishTasks, bool stopsNow)
    {
        await runnerOut.WriteLineAsync($$"""~{"type": "graceful-termination", "finish-tasks": {{(finishTasks ? "true" : "false")}}}""");
        await EventuallyAsync(() => lifetime.StoppingGracefully.IsCancellationRequested);
        Assert.Equal(stopsNow, lifetime.StoppingNow.IsCancellationRequested);
    }

    [Fact]
    public async Task Error_reports_and_shutdown_are_sent_only_when_agreed()
    {
        await runnerOut.WriteLineAsync("""~{"type": "welcome", "capabilities": ["shutdown"]}""");
        await ReadMessageAsync();
        await protocol.ReportErrorAsync("worker-error", "not agreed", "dropped");
        await protocol.SendShutdownAsync();
        var shutdown = await ReadMessageAsync();
        Assert.Equal("shutdown", (string)shutdown["type"]!);
    }

    [Fact]
    public async Task An_error_report_carries_its_details_within_worker_managers_limits()
    {
        await runnerOut.WriteLineAsync("""~{"type": "welcome", "capabilities": ["error-report"]}""");
        await ReadMessageAsync();
        await protocol.ReportErrorAsync("worker-error", new string('t', 200), new string('d', 20000), new Dictionary<string, string> { ["reasons"] = "engine 'docker': disk full" });

        var report = await ReadMessageAsync();
        Assert.Equal("error-report", (string)report["type"]!);
        Assert.Equal("worker-error", (string)report["kind"]!);
        Assert.Equal(128, ((string)report["title"]!).Length);
        Assert.Equal(10240, ((string)report["description"]!).Length);
        Assert.Equal("engine 'docker': disk full", (string)report["extra"]!["reasons"]!);
    }
}

public sealed class WorkerRunnerConfigTests
{
    [Fact]
    public void Generic_worker_keys_written_by_worker_runner_map_onto_the_config()
    {
        var written = JObject.Parse("""
            {
              "rootURL": "https://tc.example.com",
              "clientId": "worker/aws/proj/type/us-east-1/i-123",
              "accessToken": "secret",
              "certificate": "",
              "provisionerId": "proj",
              "workerType": "type",
              "workerGroup": "us-east-1",
              "workerId": "i-123",
              "workerLocation": "{\"cloud\":\"aws\"}",
              "workerTypeMetadata": {"instance-type": "m5.large"},
              "publicIP": "203.0.113.5",
              "engine": "native",
              "plugins": {"env": {}},
              "worker": {"capacity": 2}
            }
            """);
        var config = WorkerRunnerConfig.Translate(written);
        Assert.True(JToken.DeepEquals(JObject.Parse("""
            {
              "engine": "native",
              "plugins": {"env": {"workerLocation": "{\"cloud\":\"aws\"}"}},
              "worker": {"capacity": 2, "workerPoolId": "proj/type", "workerGroup": "us-east-1", "workerId": "i-123"},
              "rootUrl": "https://tc.example.com",
              "credentials": {"clientId": "worker/aws/proj/type/us-east-1/i-123", "accessToken": "secret"}
            }
            """), config), config.ToString());
        Assert.True(written.ContainsKey("rootURL"), "the input is not changed");
    }

    [Fact]
    public void The_providers_instance_facts_reach_the_chain_of_trust_environment_where_the_config_leaves_them_out()
    {
        var written = JObject.Parse("""
            {
              "provisionerId": "proj", "workerType": "type", "workerGroup": "us-east-1", "workerId": "i-123",
              "workerLocation": "{\"cloud\":\"aws\",\"region\":\"us-east-1\",\"availabilityZone\":\"us-east-1a\"}",
              "publicIP": "203.0.113.5", "privateIP": "10.0.0.5", "instanceID": "i-123", "instanceType": "m5.large",
              "engine": "native",
              "plugins": {"chainoftrust": {"ed25519SigningKeyLocation": "/k", "environment": {"instanceType": "operator's", "rack": 7}}}
            }
            """);
        var environment = WorkerRunnerConfig.Translate(written)["plugins"]!["chainoftrust"]!["environment"];
        Assert.True(JToken.DeepEquals(JObject.Parse("""
            {"instanceType": "operator's", "rack": 7, "publicIpAddress": "203.0.113.5", "privateIpAddress": "10.0.0.5", "instanceId": "i-123", "region": "us-east-1"}
            """), environment), environment?.ToString());

        // Without the plugin nothing is added; an explicit region wins over the location's.
        written["region"] = "eu-west-1";
        Assert.Equal("eu-west-1", (string?)WorkerRunnerConfig.Translate(written)["plugins"]!["chainoftrust"]!["environment"]!["region"]);
        written["plugins"] = JObject.Parse("""{"success": {}}""");
        Assert.True(JToken.DeepEquals(JObject.Parse("""{"success": {}}"""), WorkerRunnerConfig.Translate(written)["plugins"]));
    }

    [Fact]
    public void Worker_location_and_instance_type_go_to_the_env_plugin_unless_it_sets_them()
    {
        var written = JObject.Parse("""
            {
              "workerLocation": "{\"cloud\":\"aws\",\"region\":\"us-east-1\"}",
              "instanceType": "m5.large",
              "engine": "native",
              "plugins": {"env": {"extra": {"CI": "true"}}}
            }
            """);
        var config = WorkerRunnerConfig.Translate(written);
        Assert.True(JToken.DeepEquals(JObject.Parse("""
            {"engine": "native", "plugins": {"env": {"extra": {"CI": "true"}, "workerLocation": "{\"cloud\":\"aws\",\"region\":\"us-east-1\"}", "instanceType": "m5.large"}}}
            """), config), config.ToString());

        written["plugins"]!["env"]!["instanceType"] = "set by the operator";
        Assert.Equal("set by the operator", WorkerRunnerConfig.Translate(written)["plugins"]!["env"]!["instanceType"]!.ToString());
        written.Remove("plugins");
        Assert.False(WorkerRunnerConfig.Translate(written).ContainsKey("instanceType"), "without the env plugin nobody uses them");
    }

    [Fact]
    public void Generic_worker_limits_go_to_the_maxruntime_plugin_and_the_native_engine()
    {
        var written = JObject.Parse("""
            {
              "maxTaskRunTime": 7200, "disableOOMProtection": true, "allowedHighMemoryDuration": 10,
              "engine": "native", "engines": {"native": {"createUser": true}},
              "plugins": {"maxruntime": {}}
            }
            """);
        var config = WorkerRunnerConfig.Translate(written);
        Assert.True(JToken.DeepEquals(JObject.Parse("""
            {"engine": "native", "engines": {"native": {"createUser": true, "resourceMonitor": {"disableOOMProtection": true, "allowedHighMemoryDuration": 10}}},
             "plugins": {"maxruntime": {"maxRunTime": 7200}}}
            """), config), config.ToString());
    }
}
