using Microsoft.Extensions.DependencyInjection;
using TcWorker.Testing;

namespace Acme.TcWorker.Engines.Echo.Tests;

/// <summary>The engine inside a real worker: tasks go into an in-process local queue, and their resolutions and logs are checked.</summary>
public sealed class EchoWorkerCaseTests : WorkerCaseTests
{
    protected override string WorkerConfig => "engine: acme-echo\nplugins: {}";

    protected override void Register(ITcWorkerBuilder builder) => builder.AddEngine<EchoEngineProvider>();

    protected override IEnumerable<WorkerCase> Cases =>
    [
        new WorkerCase
        {
            Name = "echo",
            Tasks = [new WorkerCaseTask { Name = "echo", Payload = "echo: hello from a task", Expect = new TaskExpectation { LogContains = ["hello from a task"] } }],
        },
        new WorkerCase
        {
            Name = "negative-sleep-is-malformed",
            Tasks = [new WorkerCaseTask { Name = "negative", Payload = "sleepSeconds: -1", Expect = new TaskExpectation { Resolution = "exception/malformed-payload", LogContains = ["sleepSeconds"] } }],
        },
    ];
}
