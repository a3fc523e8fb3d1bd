using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>
/// One worker with the native and the docker engine, end to end through the worker harness, the local queue
/// and the Docker daemon: a generic-worker payload (no <c>image</c>) runs natively, a docker-worker payload
/// in a container, each with the keys of its own dialect; a payload that fits neither, or asks for what this
/// worker does not offer, resolves malformed-payload saying why. All tasks share one worker (start-up is costly).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class TwoEngineWorkerCaseTests : WorkerCaseTests
{
    // The bit of CAP_SYS_PTRACE in the container's effective capabilities.
    private const string PtraceBit = "caps=$(grep CapEff /proc/self/status | cut -f2); echo ptrace-bit-$(( (0x$caps >> 19) & 1 ))";

    protected override string? SkipReason => DockerDaemon.Current is { } daemon ? daemon.SkipReason : "the Docker daemon fixture did not run";

    protected override string WorkerConfig => $"""
        engine: [native, docker]
        engines:
          native: {"{createUser: false, killGracePeriodSeconds: 0.5}"}
          docker:
            endpoint: '{DockerDaemon.Endpoint}'
            network: none
            abortGracePeriodSeconds: 0
            allowPtrace: true
        plugins:
          env: {"{}"}
          maxruntime: {"{}"}
          success: {"{}"}
          livelog: {"{}"}
          artifacts: {"{}"}
          mounts: {"{}"}
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddNativeEngine()
        .AddDockerEngine()
        .AddEnvPlugin()
        .AddMaxRunTimePlugin()
        .AddSuccessPlugin()
        .AddLiveLogPlugin()
        .AddArtifactsPlugin()
        .AddMountsPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        new WorkerCase
        {
            Name = "each-payload-on-its-engine",
            Capacity = 4,
            Tasks =
            [
                Task("native", """
                    command: [[sh, -c, 'echo native-$((6*7)) > out.txt; pwd | grep -q /tcw-native/ && echo ran-natively-$((6*7))']]
                    env: {GREETING: hello}
                    maxRunTime: 60
                    artifacts: [{type: file, path: out.txt, name: public/native.txt}]
                    """, new TaskExpectation
                {
                    LogContains = ["starting on engine 'native'", "ran-natively-42"],
                    Artifacts = [new("public/native.txt") { Content = "native-42\n" }],
                }),
                Task("docker", $$"""
                    image: {{DockerDaemon.Image}}
                    command: [sh, -c, 'test -d /vol && echo volume-there; echo "GREETING=$GREETING";
                      mkdir -p /out/dir/sub; echo a > /out/a.txt; echo b > /out/dir/sub/b.txt; echo v > /vol/v.txt; {{PtraceBit}}']
                    env: {GREETING: from the payload}
                    maxRunTime: 60
                    supersederUrl: https://superseder.example.invalid/check
                    features: {artifacts: true, localLiveLog: true, bulkLog: true}
                    onExitStatus: {retry: [86], purgeCaches: [87]}
                    artifacts:
                      public/a.txt: {type: file, path: /out/a.txt, expires: '{{DateTimeOffset.UtcNow.AddDays(1):O}}'}
                      public/dir: {type: directory, path: /out/dir}
                      public/vol: {type: volume, path: /vol}
                      public/missing.txt: {type: file, path: /no/such/file.txt}
                    """, new TaskExpectation
                {
                    LogContains = ["starting on engine 'docker'", "volume-there", "GREETING=from the payload", "ptrace-bit-0", "Optional artifact public/missing.txt skipped"],
                    Artifacts =
                    [
                        new("public/a.txt") { Content = "a\n" },
                        new("public/dir/sub/b.txt") { Content = "b\n" },
                        new("public/vol/v.txt") { Content = "v\n" },
                        new("public/missing.txt") { ErrorReason = "file-missing-on-worker" },
                    ],
                }),
                Task("docker-ptrace", $"image: {DockerDaemon.Image}\ncommand: [sh, -c, '{PtraceBit}']\nfeatures: {{allowPtrace: true}}\nmaxRunTime: 60", new TaskExpectation
                {
                    LogContains = ["ptrace-bit-1"],
                }, "docker-worker:feature:allowPtrace"),
                Task("docker-artifacts-off", $"image: {DockerDaemon.Image}\ncommand: [sh, -c, 'echo x > /x.txt']\nfeatures: {{artifacts: false}}\nartifacts: {{public/x.txt: {{type: file, path: /x.txt}}}}\nmaxRunTime: 60", new TaskExpectation
                {
                    Artifacts = [new("public/x.txt") { Absent = true }],
                }),
                Refused("docker-ptrace-without-scope", null, "features: {allowPtrace: true}", "payload.features.allowPtrace: the task needs the scope docker-worker:feature:allowPtrace"),
                Refused("docker-dind", null, "features: {dind: true, balrogVPNProxy: true}", "$.features.dind: this worker does not offer the feature 'dind' to tasks of engine 'docker' (docker-worker payload)", "$.features.balrogVPNProxy: this worker does not offer the feature 'balrogVPNProxy'"),
                Refused("docker-bulk-log-off", null, "features: {bulkLog: false}", "payload.features.bulkLog: false is not supported by this worker yet; the task log is always uploaded"),
                Refused("docker-log-name", null, "log: public/logs/custom.log", "$.log: the docker-worker payload key 'log' is not supported by this worker yet"),
                Refused("docker-artifact-expires-after-the-task", null, "artifacts: {public/a.txt: {type: file, path: /a.txt, expires: '2999-01-01T00:00:00Z'}}", "$.artifacts['public/a.txt'].expires: 2999-01-01T00:00:00.0000000+00:00 is later than the task's expiry"),
                // An image and generic-worker's list of argv lists: docker's branch is the closer one.
                Refused("neither", "command: [[sh, -c, 'echo never-ran-$((6*7))']]", "env: {A: b}", "it comes closest to engine 'docker' (docker-worker payload)", "$: engine 'native' (generic-worker payload) does not match either"),
            ],
        },
    ];

    private static WorkerCaseTask Task(string name, string payload, TaskExpectation expect, string? scope = null) => new()
    {
        Name = name,
        Payload = payload,
        Definition = scope is null ? null : new JObject { ["scopes"] = new JArray(scope) },
        Expect = expect,
    };

    /// <summary>A docker-worker payload with more keys (and another command, when given) that must be refused.</summary>
    private static WorkerCaseTask Refused(string name, string? command, string keys, params string[] lines) => Task(name, $"image: {DockerDaemon.Image}\n{command ?? "command: [sh, -c, 'echo never-ran-$((6*7))']"}\nmaxRunTime: 60\n{keys}", new TaskExpectation
    {
        Resolution = "exception/malformed-payload",
        LogContains = lines,
        LogDoesNotContain = ["never-ran-42"],
    });
}
