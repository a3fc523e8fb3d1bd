using TcWorker.Runtime.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace TcWorker.Engines.Native.Tests;

/// <summary>The native engine with the stock plugins, end to end through the worker harness.</summary>
public sealed class NativeWorkerCaseTests : WorkerCaseTests
{
    protected override string? SkipReason => OperatingSystem.IsLinux() ? null : "The native engine tests run on Linux.";

    protected override string WorkerConfig => """
        engine: native
        engines: {native: {createUser: false, killGracePeriodSeconds: 0.5}}
        plugins: {env: {}, maxruntime: {}, success: {}, livelog: {}, artifacts: {}}
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddNativeEngine()
        .AddEnvPlugin()
        .AddMaxRunTimePlugin()
        .AddSuccessPlugin()
        .AddLiveLogPlugin()
        .AddArtifactsPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        One("success", "command: [[sh, -c, 'echo hello-$((6*7))']]\nmaxRunTime: 60", new TaskExpectation
        {
            Resolution = "completed",
            LogContains = ["hello-42"],
            Artifacts = [new(WorkerTaskOutcome.LogArtifact) { Contains = "hello-42" }, new("public/logs/live.log")],
        }),
        One("failing-exit-code", "command: [[sh, -c, 'echo about to fail; exit 3']]\nmaxRunTime: 60", new TaskExpectation
        {
            Resolution = "failed",
            LogContains = ["about to fail"],
        }),
        One("malformed-payload", "command: echo this is not a list of argv lists\nmounts: []", new TaskExpectation
        {
            Resolution = "exception/malformed-payload",
            LogMatches = [@"\$\.command", "mounts"],
            LogDoesNotContain = ["this is not a list of argv lists\n"],
        }),
        // Killed by the maxruntime plugin: the file written before the kill is still uploaded.
        One("max-run-time-exceeded", "command: [[sh, -c, 'mkdir out; echo before > out/early.txt; echo started; exec sleep 60']]\nmaxRunTime: 2\nartifacts: [{type: file, path: out/early.txt, name: public/early.txt}]", new TaskExpectation
        {
            Resolution = "failed",
            LogContains = ["started", "exceeded maxRunTime of 2 seconds"],
            Artifacts = [new("public/early.txt") { Content = "before\n" }],
        }),
        One("artifacts", """
            command: [[sh, -c, 'mkdir -p out/sub && printf "kit text" > out/a.txt && echo nested > out/sub/b.txt']]
            maxRunTime: 60
            artifacts:
              - {type: file, path: out/a.txt, name: public/a.txt}
              - {type: directory, path: out/sub, name: public/sub}
              - {type: file, path: out/missing.txt, name: public/missing.txt}
              - {type: file, path: out/also-missing.txt, name: public/optional.txt, optional: true}
            """, new TaskExpectation
        {
            // A missing artifact that is not optional fails the task.
            Resolution = "failed",
            LogContains = ["public/missing.txt"],
            Artifacts =
            [
                new("public/a.txt") { Content = "kit text", ContentType = "text/plain; charset=utf-8" },
                new("public/sub/b.txt") { Content = "nested\n" },
                new("public/missing.txt") { ErrorReason = "file-missing-on-worker" },
                new("public/optional.txt") { ErrorReason = "file-missing-on-worker" },
                new("public/never-declared.txt") { Absent = true },
            ],
        }),
        One("env-var-in-log", """
            env: {GREETING: hello from the payload}
            command: [[sh, -c, 'echo "GREETING=$GREETING TASK_ID=$TASK_ID"']]
            maxRunTime: 60
            """, new TaskExpectation
        {
            LogContains = ["GREETING=hello from the payload"],
            LogMatches = ["TASK_ID=[A-Za-z0-9_-]{22}"],
        }),
        new WorkerCase
        {
            Name = "deadline-and-cancel",
            Capacity = 2,
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "past-its-deadline",
                    Payload = "command: [[sleep, '60']]\nmaxRunTime: 120",
                    Deadline = TimeSpan.FromSeconds(4),
                    Expect = new TaskExpectation { Resolution = "exception/deadline-exceeded" },
                },
                new WorkerCaseTask
                {
                    Name = "canceled",
                    Payload = "command: [[sleep, '60']]\nmaxRunTime: 120",
                    CancelAfter = TimeSpan.FromSeconds(1),
                    Expect = new TaskExpectation { Resolution = "exception/canceled" },
                },
            ],
        },
        WorkerCaseFile.Load(Path.Combine(AppContext.BaseDirectory, "worker-cases", "depends-on.yml")),
        WorkerCaseFile.Load(Path.Combine(AppContext.BaseDirectory, "worker-cases", "artifact-names.yml")),
        new WorkerCase
        {
            // s3 storage stores text gzip-encoded; the harness reads back what the task wrote.
            Name = "s3-storage",
            Config = "worker: {artifactStorage: s3}",
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "s3-storage",
                    Payload = "command: [[sh, -c, 'mkdir out && seq 1 500 > out/numbers.txt && echo stored-as-s3']]\nmaxRunTime: 60\nartifacts: [{type: file, path: out/numbers.txt, name: public/numbers.txt}]",
                    Expect = new TaskExpectation
                    {
                        Resolution = "completed",
                        LogContains = ["stored-as-s3"],
                        Artifacts = [new("public/numbers.txt") { Contains = "\n249\n250\n251\n" }],
                    },
                },
            ],
        },
    ];

    [SkippableFact]
    public async Task A_case_config_fragment_overrides_the_worker_config()
    {
        var result = await RunCaseAsync(new WorkerCase
        {
            Name = "worker-max-run-time",
            Config = "plugins: {maxruntime: {maxRunTime: 1}}",
            Tasks = [new WorkerCaseTask { Name = "sleeper", Payload = new { command = new[] { new[] { "sleep", "60" } } }, Expect = new TaskExpectation { Resolution = "failed" } }],
        });
        Assert.Contains("exceeded maxRunTime of 1 seconds", result["sleeper"].Log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_public_webhook_server_serves_the_live_log_at_its_advertised_url()
    {
        var port = FreePort();
        var result = await RunCaseAsync(new WorkerCase
        {
            Name = "public-webhooks",
            Config = $"webhookServer: {{mode: public, listen: '127.0.0.1:{port}', advertisedBaseUrl: 'http://127.0.0.1:{port}/'}}",
            Tasks = [new WorkerCaseTask { Name = "logger", Payload = "command: [[sh, -c, 'echo public']]\nmaxRunTime: 60", Expect = new TaskExpectation { Resolution = "completed" } }],
        });
        Assert.Matches($@"Live log: http://127\.0\.0\.1:{port}/[A-Za-z0-9_-]{{43}}/log", result["logger"].Log);
    }

    [SkippableFact]
    public async Task A_public_webhook_server_that_cannot_start_is_a_config_error()
    {
        var e = await Assert.ThrowsAsync<ConfigException>(() => RunCaseAsync(new WorkerCase
        {
            Name = "bad-public-webhooks",
            Config = "webhookServer: {mode: public, listen: 'not an address', advertisedBaseUrl: 'http://127.0.0.1:1/'}",
            Tasks = [new WorkerCaseTask { Name = "never", Payload = "command: [[true]]\nmaxRunTime: 60" }],
        }));
        Assert.Contains("$.webhookServer", e.Message, StringComparison.Ordinal);
        Assert.Contains("'listen'", e.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static WorkerCase One(string name, string payload, TaskExpectation expect) => new()
    {
        Name = name,
        Tasks = [new WorkerCaseTask { Name = name, Payload = payload, Expect = expect }],
    };
}
