using System.Net;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Tests;

/// <summary>X-Forwarded-Port and X-Forwarded-Proto change the port a signature must name only when a trusted proxy sends them.</summary>
public sealed class TrustedProxyTests
{
    [Fact]
    public async Task Forwarded_port_and_proto_are_believed_only_from_a_configured_proxy()
    {
        await using (var direct = await QueueHarness.StartAsync())
        {
            var taskId = await direct.CreateAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(direct, taskId, 8443, "X-Forwarded-Port", "8443"));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(direct, taskId, 443, "X-Forwarded-Proto", "https"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(direct, taskId, new Uri(direct.Server.RootUrl).Port, "X-Forwarded-Port", "8443"));
        }

        await using var proxied = await QueueHarness.StartAsync(o => o with { TrustedProxies = [IPAddress.Loopback] });
        var proxiedTaskId = await proxied.CreateAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(proxied, proxiedTaskId, 8443, "X-Forwarded-Port", "8443"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(proxied, proxiedTaskId, 443, "X-Forwarded-Proto", "https"));
        await proxied.Root.Queue.StatusAsync(proxiedTaskId);
    }

    /// <summary>The status call signed with the root credentials for <paramref name="signedPort"/>, sent to the server's real port with one forwarding header.</summary>
    private static async Task<HttpStatusCode> StatusAsync(QueueHarness h, string taskId, int signedPort, string header, string value)
    {
        var path = $"/api/queue/v1/task/{taskId}/status";
        var signedFor = new UriBuilder(h.Server.RootUrl + path) { Port = signedPort }.Uri;
        var (status, _) = await SignedRequests.SendAsync(h.Server.RootUrl, null, "GET", path, change: request =>
        {
            request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(h.Server.RootCredentials, "GET", signedFor, DateTimeOffset.UtcNow));
            request.Headers.TryAddWithoutValidation(header, value);
        });
        return status;
    }
}
