using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The official Taskcluster JavaScript client (taskcluster-client 87.1.3) cannot tell this queue, or its index, from the real ones.</summary>
public sealed class InteropTests
{
    [SkippableFact]
    public async Task The_official_client_runs_a_whole_lifecycle()
    {
        await using var h = await QueueHarness.StartAsync();
        var result = await RunScriptAsync(h, "interop.mjs");
        Assert.Equal("pending", (string)result["created"]!);
        Assert.Equal(QueueHarness.QueueId, (string)result["definition"]!);
        Assert.Equal("unscheduled", (string)result["dependentCreated"]!);
        Assert.Equal("completed", (string)result["resolved"]!);
        Assert.Equal("completed", (string)result["resolvedAgain"]!);
        Assert.Equal(["public/a b%c/~u.txt", "public/err", "public/ref"], result["artifacts"]!.Values<string>());
        Assert.Equal(200, (int)result["signedStatus"]!);
        Assert.Equal("hello from node", (string)result["signedBody"]!);
        Assert.Equal(424, (int)result["errorStatus"]!);
        Assert.Equal("pending", (string)result["dependentAfter"]!);
        Assert.Equal("failed", (string)result["failed"]!);
        Assert.Equal("exception", (string)result["exception"]!);
        Assert.Equal("canceled", (string)result["canceled"]!);
        Assert.Equal("404 ResourceNotFound", (string)result["missing"]!);
    }

    [SkippableFact]
    public async Task The_official_client_finds_inserts_and_lists_in_the_index()
    {
        await using var h = await QueueHarness.StartAsync();
        var result = await RunScriptAsync(h, "index.mjs");
        Assert.Equal("interop.app.latest", (string)result["inserted"]!["namespace"]!);
        Assert.Equal(2, (int)result["found"]!["rank"]!);
        Assert.Equal("node", (string)result["found"]!["data"]!["from"]!);
        Assert.Equal((string)result["inserted"]!["taskId"]!, (string)result["lower"]!);
        Assert.Equal(["interop"], result["rootNamespaces"]!.Values<string>());
        Assert.Equal(["interop.app"], result["namespaces"]!.Values<string>());
        Assert.Equal([(string)result["inserted"]!["taskId"]!], result["tasks"]!.Values<string>());
        Assert.Equal(7, (int)result["builtRank"]!);
        Assert.True((bool)result["builtTaskId"]!);
        Assert.Equal("built by node", (string)result["artifact"]!);
        Assert.Equal("404 ResourceNotFound", (string)result["missing"]!);
        Assert.Equal("400 InvalidRequestArguments", (string)result["bad"]!);
    }

    /// <summary>Runs a script of node/ against the harness's queue with the root credentials; returns the JSON it prints.</summary>
    private static async Task<JObject> RunScriptAsync(QueueHarness h, string script)
    {
        var credentials = h.Server.RootCredentials;
        using var process = TestFiles.StartNode(TestFiles.NodeDir("TcWorker.LocalQueue.Tests"), "taskcluster-client", script, h.Server.RootUrl, credentials.ClientId, credentials.AccessToken, QueueHarness.QueueId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error + await output);
        return JObject.Parse(await output);
    }
}
