using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Following a link artifact needs <c>queue:get-artifact:</c> for every name along the chain, as the real queue checks.</summary>
public sealed class LinkAuthorizationTests
{
    [Fact]
    public async Task A_public_link_does_not_hand_out_a_private_artifact()
    {
        await using var h = await QueueHarness.StartAsync();
        var publicReader = await h.AddClientAsync("reader/public", "queue:get-artifact:public/*");
        var fullReader = await h.AddClientAsync("reader/all", "queue:get-artifact:public/*", "queue:get-artifact:private/*");
        publicReader = h.Client(publicReader.Credentials);
        var taskId = await h.CreateAsync();
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        var task = h.Client(claim.Credentials).Queue;
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        await task.CreateArtifactAsync(taskId, 0, "private/secret", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/secret"));
        await task.CreateArtifactAsync(taskId, 0, "public/hop", CreateArtifactRequest.Link(expires, "private/secret"));
        await task.CreateArtifactAsync(taskId, 0, "public/leak", CreateArtifactRequest.Link(expires, "public/hop"));
        await task.CreateArtifactAsync(taskId, 0, "public/fine", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/fine"));
        await task.CreateArtifactAsync(taskId, 0, "public/fine-link", CreateArtifactRequest.Link(expires, "public/fine"));

        foreach (var name in new[] { "public/leak", "public/hop" })
        {
            var e = await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => publicReader.Queue.GetArtifactAsync(taskId, 0, name));
            Assert.Contains("queue:get-artifact:private/secret", e.Message, StringComparison.Ordinal);
            await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => publicReader.Queue.GetLatestArtifactAsync(taskId, name));
            await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes",
                () => publicReader.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/runs/0/artifact-content/{Uri.EscapeDataString(name)}", null));
        }

        Assert.Equal("http://127.0.0.1:1/fine", (await publicReader.Queue.GetArtifactAsync(taskId, 0, "public/fine-link")).Url);
        fullReader = h.Client(fullReader.Credentials);
        Assert.Equal("http://127.0.0.1:1/secret", (await fullReader.Queue.GetArtifactAsync(taskId, 0, "public/leak")).Url);
    }
}
