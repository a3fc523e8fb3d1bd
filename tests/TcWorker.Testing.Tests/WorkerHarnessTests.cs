using Microsoft.Extensions.DependencyInjection;
using TcWorker.Engines.Mock;

namespace TcWorker.Testing.Tests;

/// <summary>The worker harness itself: it must fail a case that does not hold, naming every mismatch.</summary>
public sealed class WorkerHarnessTests
{
    private static WorkerHarness Harness() => new("engine: mock\nplugins: {}", b => b.AddEngine<MockEngineProvider>());

    [Fact]
    public async Task Every_mismatch_is_reported_with_the_task_and_its_log()
    {
        var result = await Harness().RunAsync(new WorkerCase
        {
            Name = "wrong-on-purpose",
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "logger",
                    Payload = "function: write-log\nargument: the actual line",
                    Expect = new TaskExpectation
                    {
                        Resolution = "failed",
                        LogContains = ["a line that is not there"],
                        LogDoesNotContain = ["actual line"],
                        LogMatches = ["^nothing like this$"],
                        Artifacts = [new("public/missing.txt"), new(WorkerTaskOutcome.LogArtifact) { Absent = true }, new(WorkerTaskOutcome.LogArtifact) { Content = "other" }],
                    },
                },
            ],
        });

        Assert.False(result.Passed);
        Assert.Equal("completed", result["logger"].Resolution);
        Assert.Equal(7, result.Mismatches.Count);
        var message = Assert.ThrowsAny<Xunit.Sdk.XunitException>(result.AssertPassed).Message;
        Assert.Contains("resolution: expected failed, got completed", message, StringComparison.Ordinal);
        Assert.Contains("does not contain \"a line that is not there\"", message, StringComparison.Ordinal);
        Assert.Contains("contains \"actual line\", which it must not", message, StringComparison.Ordinal);
        Assert.Contains("artifact public/missing.txt: missing", message, StringComparison.Ordinal);
        Assert.Contains("| the actual line", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_that_never_resolves_fails_the_case_when_its_timeout_passes()
    {
        var result = await Harness().RunAsync(new WorkerCase
        {
            Name = "slow",
            Timeout = TimeSpan.FromSeconds(3),
            Tasks = [new WorkerCaseTask { Name = "sleeper", Payload = "function: sleep\nargument: '600000'" }],
        });

        var mismatch = Assert.Single(result.Mismatches, m => m.Contains("did not all resolve within 3 s", StringComparison.Ordinal));
        Assert.Contains("'sleeper' (running)", mismatch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inconsistent_case_is_refused_before_anything_runs()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Harness().RunAsync(new WorkerCase
        {
            Name = "inconsistent",
            Tasks =
            [
                new WorkerCaseTask { Name = "a", Payload = "[not, an, object]", DependsOn = ["b"], Expect = new TaskExpectation { Resolution = "done" } },
                new WorkerCaseTask { Name = "b", Payload = "{}", Expect = new TaskExpectation { LogMatches = ["("] } },
            ],
        }));
        Assert.Contains("depends on 'b', which is not listed before it", error.Message, StringComparison.Ordinal);
        Assert.Contains("expects the resolution 'done'", error.Message, StringComparison.Ordinal);
        Assert.Contains("payload of the task 'a' is not an object", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid log pattern '('", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_case_file_with_unknown_keys_and_wrong_types_lists_every_problem()
    {
        var error = Assert.Throws<FormatException>(() => WorkerCaseFile.Parse(
            "tasks:\n  - name: a\n    payload: 3\n    expect: {resolution: completed, logContain: [x], artifacts: [{name: n, absent: maybe}]}\ntimeout: -1\n",
            "case.yml"));
        Assert.Contains("$.tasks[0].payload: must be an object or YAML text", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.tasks[0].expect.logContain: unknown key", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.tasks[0].expect.artifacts[0].absent: must be true or false", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.timeout: must be a positive number of seconds", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.name: missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_case_file_reads_every_field()
    {
        var workerCase = WorkerCaseFile.Parse("""
            config: {plugins: {}}
            capacity: 2
            timeout: 30
            tasks:
              - name: a
                payload: {function: "true"}
              - name: b
                payload: "function: write-log"
                deadline: 60
                cancelAfter: 1.5
                dependsOn: [a]
                definition: {retries: 1}
                expect:
                  resolution: exception/canceled
                  logContains: [x]
                  logDoesNotContain: [y]
                  logMatches: [z]
                  artifacts: [{name: n, content: c, contains: d, contentType: t, errorReason: r, absent: false}]
            """, "case.yml", "from-file");
        Assert.Equal("from-file", workerCase.Name);
        Assert.Equal(2, workerCase.Capacity);
        Assert.Equal(TimeSpan.FromSeconds(30), workerCase.Timeout);
        var b = workerCase.Tasks[1];
        Assert.Equal(TimeSpan.FromSeconds(1.5), b.CancelAfter);
        Assert.Equal(["a"], b.DependsOn);
        Assert.Equal("exception/canceled", b.Expect.Resolution);
        Assert.Equal(new ArtifactExpectation("n") { Content = "c", Contains = "d", ContentType = "t", ErrorReason = "r" }, Assert.Single(b.Expect.Artifacts));
    }
}
