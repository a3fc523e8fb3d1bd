using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>docker-worker's <c>cache</c> on the docker engine, through the mounts plugin, the worker harness and the local queue.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerCacheCaseTests : WorkerCaseTests
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
          success: {"{}"}
          maxruntime: {"{}"}
          mounts: {"{}"}
        """;

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddDockerEngine()
        .AddSuccessPlugin()
        .AddMaxRunTimePlugin()
        .AddMountsPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        new()
        {
            Name = "cache-kept-for-the-next-task",
            Timeout = TimeSpan.FromSeconds(60),
            Tasks =
            [
                Task("writer", "echo from-the-writer > /cache/note; echo wrote", [], new TaskExpectation { LogContains = ["a new cache", "wrote"] }),
                Task("reader", "echo READ-$(cat /cache/note)", ["writer"], new TaskExpectation { LogContains = ["using the cache kept from an earlier task", "READ-from-the-writer"] }),
            ],
        },
        new()
        {
            Name = "cache-without-scope",
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "no-scope",
                    Payload = $"image: {DockerDaemon.Image}\ncommand: [sh, -c, 'echo never-ran-$((6*7))']\ncache: {{other-cache: /cache}}\nmaxRunTime: 60",
                    Expect = new TaskExpectation
                    {
                        Resolution = "exception/malformed-payload",
                        LogContains = ["[mounts] cache 'other-cache' at '/cache' ($.cache['other-cache']): the task lacks the scope docker-worker:cache:other-cache"],
                        LogDoesNotContain = ["never-ran-42"],
                    },
                },
            ],
        },
    ];

    private static WorkerCaseTask Task(string name, string script, string[] after, TaskExpectation expect) => new()
    {
        Name = name,
        Payload = $"image: {DockerDaemon.Image}\ncommand: [sh, -c, '{script}']\ncache: {{docker-cache: /cache}}\nmaxRunTime: 60",
        DependsOn = after,
        Definition = new JObject { ["scopes"] = new JArray("docker-worker:cache:docker-cache") },
        Expect = expect,
    };
}
