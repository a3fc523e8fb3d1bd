using Microsoft.Extensions.DependencyInjection;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The docker engine with the stock plugins, end to end through the worker harness and the local queue.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerWorkerCaseTests : WorkerCaseTests
{
    protected override string? SkipReason => DockerDaemon.Current is { } daemon ? daemon.SkipReason : "the Docker daemon fixture did not run";

    protected override string WorkerConfig => $"""
        engine: docker
        engines:
          docker:
            endpoint: '{DockerDaemon.Endpoint}'
            network: none
            abortGracePeriodSeconds: 0
        plugins:
          env: {"{}"}
          maxruntime: {"{}"}
          success: {"{}"}
          livelog: {"{}"}
          artifacts: {"{}"}
          taskclusterproxy: {"{}"}
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddDockerEngine()
        .AddEnvPlugin()
        .AddMaxRunTimePlugin()
        .AddSuccessPlugin()
        .AddLiveLogPlugin()
        .AddArtifactsPlugin()
        .AddTaskclusterProxyPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        // busybox wget through the proxy, by docker-worker's alias and by the variable. The listener opens just after
        // the container starts, so the first call waits until it is there.
        new WorkerCase
        {
            Name = "taskcluster-proxy",
            Tasks = [new WorkerCaseTask
            {
                Name = "taskcluster-proxy",
                Definition = new Newtonsoft.Json.Linq.JObject { ["scopes"] = new Newtonsoft.Json.Linq.JArray("queue:list-artifacts:*") },
                Payload = $$"""
                    image: {{DockerDaemon.Image}}
                    command: [sh, -c, 'for i in $(seq 100); do wget -q -O /dev/null http://taskcluster/api/queue/v1/ping 2>/dev/null && break; sleep 0.05; done;
                      echo "alias: $(wget -q -O - http://taskcluster/api/queue/v1/ping)";
                      echo "variable: $(wget -q -O - "$TASKCLUSTER_PROXY_URL/queue/v1/task/$TASK_ID/runs/$RUN_ID/artifacts")";
                      wget -q -O - http://taskcluster/api/nosuchservice/v1/ping; echo "unknown service: $?"']
                    features: {taskclusterProxy: true}
                    maxRunTime: 60
                    """,
                Expect = new TaskExpectation
                {
                    Resolution = "completed",
                    LogMatches = ["alias: \\{\\s*\"alive\":\\s*true", "variable: \\{\\s*\"artifacts\":\\s*\\[", "404 Not Found", "unknown service: 1"],
                },
            }],
        },
        // With the host's network the container has no loopback of its own to serve the proxy on.
        new WorkerCase
        {
            Name = "taskcluster-proxy-host-network",
            Config = "engines: {docker: {network: host}}",
            Tasks = [new WorkerCaseTask
            {
                Name = "taskcluster-proxy-host-network",
                Payload = $"image: {DockerDaemon.Image}\ncommand: [sh, -c, 'echo never-ran-$((6*7))']\nfeatures: {{taskclusterProxy: true}}\nmaxRunTime: 60",
                Expect = new TaskExpectation
                {
                    Resolution = "exception/malformed-payload",
                    LogContains = ["$.features.taskclusterProxy", "network: host"],
                    LogDoesNotContain = ["never-ran-42"],
                },
            }],
        },
        One("success", $$"""
            image: {{DockerDaemon.Image}}
            command: [sh, -c, 'echo hello-$((6*7)); echo "GREETING=$GREETING TASK_ID=$TASK_ID"']
            env: {GREETING: from the payload}
            maxRunTime: 60
            """, new TaskExpectation
        {
            Resolution = "completed",
            LogContains = ["hello-42", "GREETING=from the payload"],
            LogMatches = ["TASK_ID=[A-Za-z0-9_-]{22}"],
            Artifacts = [new(WorkerTaskOutcome.LogArtifact) { Contains = "hello-42" }],
        }),
        One("failing-exit-code", $"image: {DockerDaemon.Image}\ncommand: [sh, -c, 'echo about to fail; exit 3']\nmaxRunTime: 60", new TaskExpectation
        {
            Resolution = "failed",
            LogContains = ["about to fail"],
        }),
        One("privileged-without-scope", $"image: {DockerDaemon.Image}\ncommand: [sh, -c, 'echo never-ran-$((6*7))']\ncapabilities: {{privileged: true}}\nmaxRunTime: 60", new TaskExpectation
        {
            Resolution = "exception/malformed-payload",
            LogContains = ["docker-worker:capability:privileged"],
            LogDoesNotContain = ["never-ran-42"],
        }),
        One("task-image-not-a-dependency", "image: {type: task-image, taskId: fN1Qj5XWRBqDvRFwVTmZsA, path: public/image.tar.zst}\nmaxRunTime: 60", new TaskExpectation
        {
            Resolution = "exception/malformed-payload",
            LogContains = ["payload.image.taskId: the image's task fN1Qj5XWRBqDvRFwVTmZsA must be among the task's dependencies"],
        }),
        // Killed by the maxruntime plugin: the file written before the kill is still uploaded, from the stopped container.
        One("max-run-time-exceeded", $"""
            image: {DockerDaemon.Image}
            command: [sh, -c, 'mkdir -p /out/sub; echo before > /out/early.txt; echo nested > /out/sub/b.txt; echo started; exec sleep 60']
            maxRunTime: 2
            artifacts:
              public/early.txt: {"{"}type: file, path: /out/early.txt{"}"}
              public/sub: {"{"}type: directory, path: /out/sub{"}"}
            """, new TaskExpectation
        {
            Resolution = "failed",
            LogContains = ["started", "exceeded maxRunTime of 2 seconds"],
            Artifacts = [new("public/early.txt") { Content = "before\n" }, new("public/sub/b.txt") { Content = "nested\n" }],
        }),
    ];

    private static WorkerCase One(string name, string payload, TaskExpectation expect) => new()
    {
        Name = name,
        Tasks = [new WorkerCaseTask { Name = name, Payload = payload, Expect = expect }],
    };
}
