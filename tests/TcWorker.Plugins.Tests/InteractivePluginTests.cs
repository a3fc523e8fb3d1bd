using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Plugins.Interactive;
using TcWorker.Testing;

namespace TcWorker.Plugins.Tests;

/// <summary>The interactive plugin where no shell can open; the shells themselves are tested end to end (TcWorker.EndToEnd.Tests, InteractiveShellTests).</summary>
public sealed class InteractivePluginTests
{
    [Fact]
    public async Task Asking_for_shells_on_an_engine_without_them_is_a_malformed_payload_that_says_so()
    {
        await using var harness = await PluginHarness.CreateAsync(new InteractivePluginProvider());

        (await harness.RunAsync(JObject.Parse("""{ "features": { "interactive": true } }"""), MockFunction.ExitCode(0)))
            .AssertException(ExceptionReason.MalformedPayload)
            .AssertLogContains("payload.features.interactive: the engine 'mock' cannot open shells in its tasks");
    }

    [Fact]
    public async Task Without_the_feature_a_task_runs_as_before_and_publishes_no_shell()
    {
        await using var harness = await PluginHarness.CreateAsync(new InteractivePluginProvider());

        var run = (await harness.RunAsync(JObject.Parse("""{ "features": { "interactive": false } }"""), MockFunction.ExitCode(0))).AssertCompleted();
        Assert.DoesNotContain("Interactive", run.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(InteractivePluginProvider.ArtifactName, run.Artifacts);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4000/abc/", "ws://127.0.0.1:4000/abc/")]
    [InlineData("https://worker.example.com/abc/", "wss://worker.example.com/abc/")]
    public void The_artifact_leads_to_the_shell_page_of_the_root_url_as_generic_worker_writes_it(string hook, string socket)
    {
        var socketUrl = InteractiveTaskPlugin.SocketUrl(new Uri(hook));
        Assert.Equal(socket, socketUrl.AbsoluteUri);
        Assert.Equal(
            $"https://tc.example.com/shell/?v=2&socketUrl={Uri.EscapeDataString(socket)}&taskId=abcDEF&runId=3",
            ShellPage.Url("https://tc.example.com/", socketUrl, "abcDEF", 3).AbsoluteUri);
    }
}
