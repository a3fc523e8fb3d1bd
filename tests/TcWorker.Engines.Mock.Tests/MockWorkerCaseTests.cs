using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Mock.Tests;

/// <summary>The mock engine with the success and artifacts plugins, end to end through the worker harness.</summary>
public sealed class MockWorkerCaseTests : WorkerCaseTests
{
    protected override string WorkerConfig => "engine: mock\nplugins: {success: {}, artifacts: {}}";

    protected override void Register(ITcWorkerBuilder builder) => builder
        .AddEngine<MockEngineProvider>()
        .AddSuccessPlugin()
        .AddArtifactsPlugin();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        One("write-log", Mock("write-log", "mock says hello"), new TaskExpectation { LogContains = ["mock says hello"] }),
        One("write-log-and-fail", Mock("write-log-and-fail", "mock says goodbye"), new TaskExpectation { Resolution = "failed", LogContains = ["mock says goodbye"] }),
        One("unknown-function", Mock("no-such-function"), new TaskExpectation { Resolution = "exception/malformed-payload", LogContains = ["no-such-function"] }),
        One("malformed-after-start", Mock("malformed-payload-after-start", "found late"), new TaskExpectation { Resolution = "exception/malformed-payload", LogContains = ["found late"] }),
        One("nonfatal-internal-error", Mock("nonfatal-internal-error"), new TaskExpectation { Resolution = "exception/internal-error" }),
        One("files-as-artifacts", Mock("write-files", new JObject { ["out/a.txt"] = "A text" }.ToString(), new JArray(
            new JObject { ["type"] = "file", ["path"] = "out/a.txt", ["name"] = "public/a.txt" },
            new JObject { ["type"] = "file", ["path"] = "out/none.txt", ["name"] = "public/none.txt", ["optional"] = true })),
            new TaskExpectation
            {
                Artifacts = [new("public/a.txt") { Content = "A text" }, new("public/none.txt") { ErrorReason = "file-missing-on-worker" }],
            }),
    ];

    private static JObject Mock(string function, string? argument = null, JArray? artifacts = null)
    {
        var payload = new JObject { ["function"] = function, ["argument"] = argument ?? string.Empty };
        if (artifacts is not null)
        {
            payload["artifacts"] = artifacts;
        }

        return payload;
    }

    private static WorkerCase One(string name, JObject payload, TaskExpectation expect) => new()
    {
        Name = name,
        Tasks = [new WorkerCaseTask { Name = name, Payload = payload, Expect = expect }],
    };
}
