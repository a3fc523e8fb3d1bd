using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

/// <summary>The verifier against requests of the official Taskcluster JavaScript client (taskcluster-client 87.1.3).</summary>
public sealed class OfficialClientTests
{
    private const string Issuer = Node.IssuerId;

    [SkippableFact]
    public async Task Requests_of_the_official_client_verify_as_taskcluster_would()
    {
        var verifier = new HawkVerifier((id, _) => ValueTask.FromResult(id == Issuer ? new HawkClient(Node.IssuerToken, ["queue:*", "auth:create-client:task-client/*"]) : null));
        await using var server = await VerifyingServer.StartAsync(verifier);

        var results = await RunAsync(server.Url, Canned.TaskId);

        foreach (var name in new[] { "get", "post", "escaped" })
        {
            Assert.True(200 == (int)results[name]!["status"]!, $"{name}: {results[name]}");
            Assert.Equal(Issuer, (string)results[name]!["body"]!["clientId"]!);
            Assert.Equal(["queue:*", "auth:create-client:task-client/*"], Scopes(results[name]!));
        }

        Assert.Equal(["queue:get-task:*"], Scopes(results["unnamed"]!));
        Assert.Equal(Issuer, (string)results["unnamed"]!["body"]!["clientId"]!);
        Assert.Equal(["queue:claim-work:proj/wt"], Scopes(results["named"]!));
        Assert.Equal("task-client/x", (string)results["named"]!["body"]!["clientId"]!);
        Assert.Equal(["queue:get-task:x"], Scopes(results["authorizedScopes"]!));
        Assert.Equal(["queue:get-task:*"], Scopes(results["bewit"]!));
        Assert.Equal(401, (int)results["wrongKey"]!["status"]!);
        Assert.Contains("Bad mac", (string)results["wrongKey"]!["message"]!, StringComparison.Ordinal);

        var escaped = server.Requests.Single(r => r.RawTarget.Contains("/artifacts/", StringComparison.Ordinal) && !r.RawTarget.Contains("bewit", StringComparison.Ordinal));
        Assert.EndsWith("/artifacts/public%2Fa%20b%2Bc.txt", escaped.RawTarget, StringComparison.Ordinal);
    }

    private static string[] Scopes(JToken result)
    {
        Assert.True(200 == (int)result["status"]!, result.ToString());
        return result["body"]!["scopes"]!.Select(s => (string)s!).ToArray();
    }

    private static async Task<JObject> RunAsync(string rootUrl, string taskId)
    {
        using var process = Node.Start("taskcluster-client", "official-client.mjs", rootUrl, Issuer, Node.IssuerToken, taskId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error);
        return JObject.Parse(await output);
    }
}
