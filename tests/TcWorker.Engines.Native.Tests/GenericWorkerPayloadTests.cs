using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>
/// generic-worker's native payload keys on the native engine with createUser, end to end: the worker sets
/// its own variables over the payload's env, osGroups, runTaskAsCurrentUser, the resource monitor, the log
/// names and switches, and the features this worker refuses, whole and before anything runs. Needs root.
/// </summary>
public sealed class GenericWorkerPayloadTests : WorkerCaseTests
{
    private const string Pool = "tcw-harness/worker";

    protected override string? SkipReason =>
        !OperatingSystem.IsLinux() ? "The native engine tests run on Linux." :
        !HostProcesses.IsRoot ? "createUser and osGroups need the worker to run as root." :
        null;

    /// <summary>A chain of trust key only the worker's user may read, for the whole test run.</summary>
    private static readonly Lazy<string> SigningKey = new(() =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("tcw-gw-payload-").FullName, "ed25519.key");
        File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    });

    protected override string WorkerConfig => $$$"""
        engine: native
        engines: {native: {createUser: true, killGracePeriodSeconds: 0.5}}
        plugins:
          env: {instanceType: m5.large, workerLocation: {cloud: aws, region: us-east-1}}
          maxruntime: {maxRunTime: 600}
          success: {}
          livelog: {}
          artifacts: {}
          taskclusterproxy: {}
          chainoftrust: {ed25519SigningKeyLocation: '{{{SigningKey.Value}}}'}
          mounts: {purgeCacheInterval: null}
          interactive: {}
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddNativeEngine()
        .AddEnvPlugin()
        .AddMaxRunTimePlugin()
        .AddSuccessPlugin()
        .AddLiveLogPlugin()
        .AddArtifactsPlugin()
        .AddTaskclusterProxyPlugin()
        .AddChainOfTrustPlugin()
        .AddMountsPlugin()
        .AddInteractivePlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        new WorkerCase
        {
            Name = "runs",
            Tasks =
            [
                // Every key of generic-worker's native POSIX payload at once.
                Run("every-key", """
                    command: [[sh, -c, 'cat in/hello.txt; mkdir -p out; echo built > out/result.txt; echo "proxy=${TASKCLUSTER_PROXY_URL:+set}"']]
                    env: {GREETING: hello}
                    maxRunTime: 60
                    artifacts: [{type: file, path: out/result.txt, name: public/result.txt}]
                    features:
                      {chainOfTrust: true, taskclusterProxy: true, liveLog: true, backingLog: true, interactive: true, resourceMonitor: true,
                       runTaskAsCurrentUser: false, loopbackVideo: false, loopbackAudio: false}
                    mounts: [{file: in/hello.txt, content: {raw: mounted-content}}]
                    osGroups: []
                    supersederUrl: https://superseder.example.com/ignored
                    onExitStatus: {retry: [75], purgeCaches: [76]}
                    logs: {live: public/logs/live.log, backing: public/logs/live_backing.log}
                    taskclusterProxyInterface: localhost
                    """, new TaskExpectation
                {
                    LogContains = ["mounted-content", "proxy=set"],
                    Artifacts = [new("public/result.txt") { Content = "built\n" }, new("public/chain-of-trust.json") { Contains = "chainOfTrustVersion" }],
                }),
                Run("forced-env", """
                    env: {TASK_ID: not-the-task, TASK_GROUP_ID: not-the-group, GREETING: hello}
                    command: [[sh, -c, 'echo "id=$TASK_ID group=$TASK_GROUP_ID type=$TASKCLUSTER_INSTANCE_TYPE location=$TASKCLUSTER_WORKER_LOCATION greeting=$GREETING"']]
                    maxRunTime: 60
                    supersederUrl: https://superseder.example.com/ignored
                    """, new TaskExpectation
                {
                    LogMatches = [@"id=[A-Za-z0-9_-]{22} group=[A-Za-z0-9_-]{22} type=m5\.large location=\{""cloud"":""aws"",""region"":""us-east-1""\} greeting=hello"],
                    LogContains = ["The worker sets TASK_ID, TASK_GROUP_ID itself", "[resource monitor] peak system memory used: "],
                    LogDoesNotContain = ["not-the-task", "not-the-group\n"],
                }),
                Run("os-groups", "command: [[sh, -c, 'echo \"user=$(id -un) groups=$(id -Gn)\"']]\nmaxRunTime: 60\nosGroups: [users]", new TaskExpectation
                {
                    LogMatches = [@"user=tcw-[0-9a-f]+ groups=.*\busers\b"],
                }, scopes: $"generic-worker:os-group:{Pool}/users"),
                Run("as-current-user", "command: [[sh, -c, 'echo \"user=$(id -un)\"']]\nmaxRunTime: 60\nfeatures: {runTaskAsCurrentUser: true, resourceMonitor: false}", new TaskExpectation
                {
                    LogContains = ["user=root"],
                    LogDoesNotContain = ["[resource monitor]"],
                }, scopes: $"generic-worker:run-task-as-current-user:{Pool}"),
                Run("renamed-logs", """
                    command: [[sh, -c, 'echo in-the-renamed-log']]
                    maxRunTime: 60
                    logs: {live: public/logs/renamed-live.log, backing: public/logs/renamed-backing.log}
                    """, new TaskExpectation
                {
                    Artifacts =
                    [
                        new("public/logs/renamed-backing.log") { Contains = "in-the-renamed-log" },
                        new("public/logs/renamed-live.log"),
                        new(WorkerTaskOutcome.LogArtifact) { Absent = true },
                        new("public/logs/live.log") { Absent = true },
                    ],
                }),
                Run("no-logs", "command: [['true']]\nmaxRunTime: 60\nfeatures: {liveLog: false, backingLog: false}", new TaskExpectation
                {
                    Artifacts = [new(WorkerTaskOutcome.LogArtifact) { Absent = true }, new("public/logs/live.log") { Absent = true }],
                }),
            ],
        },
        new WorkerCase
        {
            // Each is refused whole: not one command runs.
            Name = "refused",
            Tasks =
            [
                Refused("over-the-pool-maximum", "command: [[echo, ran]]\nmaxRunTime: 90000", "$.maxRunTime: 90000 is more than the maximum 600"),
                Refused("os-group-without-scope", "command: [[echo, ran]]\nmaxRunTime: 60\nosGroups: [users]", $"$.osGroups: the group 'users' needs the scope generic-worker:os-group:{Pool}/users"),
                Refused("os-group-not-on-host", "command: [[echo, ran]]\nmaxRunTime: 60\nosGroups: [tcw-no-such-group]", "$.osGroups: the group 'tcw-no-such-group' does not exist on this worker's host", "generic-worker:os-group:*"),
                Refused("current-user-without-scope", "command: [[echo, ran]]\nmaxRunTime: 60\nfeatures: {runTaskAsCurrentUser: true}", $"$.features.runTaskAsCurrentUser: the task needs the scope generic-worker:run-task-as-current-user:{Pool}"),
                Refused("current-user-with-chain-of-trust", "command: [[echo, ran]]\nmaxRunTime: 60\nfeatures: {runTaskAsCurrentUser: true, chainOfTrust: true}", "$.features.runTaskAsCurrentUser: cannot be combined with features.chainOfTrust", $"generic-worker:run-task-as-current-user:{Pool}"),
                Refused("loopback-video", "command: [[echo, ran]]\nmaxRunTime: 60\nfeatures: {loopbackVideo: true}", "$.features.loopbackVideo: this worker does not offer a loopback video device"),
                Refused("loopback-audio", "command: [[echo, ran]]\nmaxRunTime: 60\nfeatures: {loopbackAudio: true}", "$.features.loopbackAudio: this worker does not offer a loopback audio device"),
                Refused("proxy-on-docker-bridge", "command: [[echo, ran]]\nmaxRunTime: 60\nfeatures: {taskclusterProxy: true}\ntaskclusterProxyInterface: docker-bridge", "$.taskclusterProxyInterface: this worker serves the taskcluster proxy"),
            ],
        },
        new WorkerCase
        {
            // Thresholds every host exceeds: memory counts as short from the first reading.
            Name = "memory-pressure",
            Config = "engines: {native: {resourceMonitor: {maxMemoryUsagePercent: 0, minAvailableMemoryBytes: 1000000000000000, allowedHighMemoryDuration: 1, sampleIntervalSeconds: 0.2}}}",
            Tasks =
            [
                Run("aborted", "command: [[sh, -c, 'echo started; exec sleep 60']]\nmaxRunTime: 120", new TaskExpectation
                {
                    Resolution = "failed",
                    LogContains = ["started", "[resource monitor] the host has been short of memory for 1 seconds", "the command is aborted and the task fails"],
                }),
                Run("not-watched", "command: [[sh, -c, 'sleep 2; echo survived']]\nmaxRunTime: 120\nfeatures: {resourceMonitor: false}", new TaskExpectation { LogContains = ["survived"] }),
            ],
        },
    ];

    private static WorkerCaseTask Run(string name, string payload, TaskExpectation expect, params string[] scopes) => new()
    {
        Name = name,
        Payload = payload,
        Expect = expect,
        Definition = scopes.Length == 0 ? null : new JObject { ["scopes"] = new JArray(scopes) },
    };

    private static WorkerCaseTask Refused(string name, string payload, string message, params string[] scopes) => Run(name, payload, new TaskExpectation
    {
        Resolution = "exception/malformed-payload",
        LogContains = [message],
        LogDoesNotContain = ["Executing command", "ran\n"],
    }, scopes);
}
