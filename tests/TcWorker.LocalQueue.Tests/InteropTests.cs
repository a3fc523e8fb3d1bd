using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The official Taskcluster JavaScript client (taskcluster-client 87.1.3) cannot tell this queue from the real one.</summary>
public sealed class InteropTests
{
    [SkippableFact]
    public async Task The_official_client_runs_a_whole_lifecycle()
    {
        await using var h = await QueueHarness.StartAsync();
        var credentials = h.Server.RootCredentials;
        using var process = TestFiles.StartNode(TestFiles.NodeDir("TcWorker.LocalQueue.Tests"), "taskcluster-client", "interop.mjs", h.Server.RootUrl, credentials.ClientId, credentials.AccessToken, QueueHarness.QueueId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error + await output);
        var result = JObject.Parse(await output);
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
}
