using System.Net;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The anonymous role's scopes reach every call, signed or not, as a public deployment grants them.</summary>
public sealed class AnonymousScopesTests
{
    [Fact]
    public async Task Public_artifacts_and_the_index_are_readable_by_every_caller_but_private_ones_are_not()
    {
        await using var h = await QueueHarness.StartAsync();
        var (taskId, run) = await PublishAsync(h);
        var nobody = await h.AddClientAsync("reader/nobody");
        var restricted = h.Client(new TaskclusterCredentials("reader/nobody", nobody.Credentials!.AccessToken, authorizedScopes: []));
        foreach (var client in new[] { nobody, restricted, h.Client(null) })
        {
            Assert.Equal("http://127.0.0.1:1/public", (await client.Queue.GetArtifactAsync(taskId, run, "public/file")).Url);
            var e = await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => client.Queue.GetArtifactAsync(taskId, run, "private/file"));
            Assert.Contains("queue:get-artifact:private/file", e.Message, StringComparison.Ordinal);
            await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => client.Index.FindTaskAsync("nothing.here"));
        }
    }

    [Fact]
    public async Task Without_anonymous_scopes_a_caller_has_only_its_own()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { AnonymousScopes = [] });
        var (taskId, run) = await PublishAsync(h);
        var nobody = await h.AddClientAsync("reader/nobody");
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => nobody.Queue.GetArtifactAsync(taskId, run, "public/file"));
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => nobody.Index.FindTaskAsync("nothing.here"));
    }

    private static async Task<(string TaskId, int RunId)> PublishAsync(QueueHarness h)
    {
        var taskId = await h.CreateAsync();
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        var task = h.Client(claim.Credentials).Queue;
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        await task.CreateArtifactAsync(taskId, 0, "public/file", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/public"));
        await task.CreateArtifactAsync(taskId, 0, "private/file", CreateArtifactRequest.Reference(expires, "http://127.0.0.1:1/private"));
        return (taskId, 0);
    }
}
