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
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddDockerEngine()
        .AddEnvPlugin()
        .AddMaxRunTimePlugin()
        .AddSuccessPlugin()
        .AddLiveLogPlugin()
        .AddArtifactsPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
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
              - {"{"}type: file, path: /out/early.txt, name: public/early.txt{"}"}
              - {"{"}type: directory, path: /out/sub, name: public/sub{"}"}
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
