using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

/// <summary>Both directions against the reference Hawk implementation (npm hawk 9.0.2) in node.</summary>
public sealed class NodeHawkTests
{
    private const string Issuer = Node.IssuerId;
    private const string IssuerToken = Node.IssuerToken;
    private static readonly Dictionary<string, (string, string[])> Clients = new()
    {
        [Issuer] = (IssuerToken, ["queue:*", "auth:create-client:task-client/*"]),
    };

    private static TaskclusterCredentials Permanent => new(Issuer, IssuerToken);

    [SkippableFact]
    public async Task Get_with_query_and_escaped_route_parameters_is_accepted_with_the_right_key_only()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        using var client = Client(node, Permanent);
        var path = $"/task/{TaskclusterUrl.Escape("a b")}/runs/0/artifacts/{TaskclusterUrl.Escape("public/x y%z(1)!.log")}?continuationToken={TaskclusterUrl.Escape("a/b+c=d&e")}&limit=2";

        var ok = await client.CallAsync<JObject>(HttpMethod.Get, "queue", path, null);
        Assert.Equal(Issuer, (string)ok["clientId"]!);
        Assert.Equal("/api/queue/v1" + path, (string)ok["url"]!);
        Assert.Equal(["queue:*", "auth:create-client:task-client/*"], ok["scopes"]!.Select(s => (string)s!));

        using var wrong = Client(node, new TaskclusterCredentials(Issuer, "wrong-token"));
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => wrong.CallAsync<JObject>(HttpMethod.Get, "queue", path, null));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("AuthenticationFailed", error.Code);
        Assert.Contains("Bad mac", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Post_with_body_is_accepted()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        using var client = Client(node, Permanent);
        var response = await client.CallAsync<JObject>(HttpMethod.Post, "queue", "/claim-work/proj%2Fwt", new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "wid", Tasks = 3 });
        Assert.Equal("POST", (string)response["method"]!);
        Assert.Equal("/api/queue/v1/claim-work/proj%2Fwt", (string)response["url"]!);
        Assert.Equal(3, (int)JObject.Parse((string)response["body"]!)["tasks"]!);

        using var hashing = new TaskclusterClient(client.Options with { SignPayloads = true });
        var hashed = await hashing.CallAsync<JObject>(HttpMethod.Post, "queue", "/task/x/runs/0/exception", new TaskExceptionRequest { Reason = "worker-shutdown" });
        Assert.Equal("{\"reason\":\"worker-shutdown\"}", (string)hashed["body"]!);
        var noBody = await hashing.CallAsync<JObject>(HttpMethod.Post, "queue", "/task/x/runs/0/completed", null);
        Assert.Equal(string.Empty, (string)noBody["body"]!);
    }

    [SkippableFact]
    public async Task Temporary_credentials_with_certificate_are_accepted_named_and_unnamed()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        var unnamed = Permanent.CreateTemporary(["queue:reclaim-task:x/0"], TimeSpan.FromHours(1));
        var named = Permanent.CreateTemporary(["queue:resolve-task:x/0", "queue:create-artifact:x/0"], TimeSpan.FromHours(1), "task-client/x/0");
        using var client = Client(node, unnamed);

        var first = await client.Queue.Client.CallAsync<JObject>(HttpMethod.Post, "queue", "/task/x/runs/0/reclaim", null);
        Assert.Equal(Issuer, (string)first["clientId"]!);
        Assert.Equal(["queue:reclaim-task:x/0"], first["scopes"]!.Select(s => (string)s!));
        Assert.Equal(JTokenType.Object, first["ext"]!["certificate"]!.Type);

        var second = await client.WithCredentials(named).CallAsync<JObject>(HttpMethod.Post, "queue", "/task/x/runs/0/completed", null);
        Assert.Equal("task-client/x/0", (string)second["clientId"]!);
        Assert.Equal(["queue:resolve-task:x/0", "queue:create-artifact:x/0"], second["scopes"]!.Select(s => (string)s!));

        var forged = new TaskclusterCredentials(unnamed.ClientId, TemporaryCertificate.DeriveAccessToken("not-the-issuer-token", (string)JObject.Parse(unnamed.Certificate!)["seed"]!), unnamed.Certificate);
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.WithCredentials(forged).CallAsync<JObject>(HttpMethod.Get, "queue", "/ping", null));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [SkippableFact]
    public async Task AuthorizedScopes_reach_the_server_and_restrict_the_scopes()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        using var client = Client(node, Permanent.CreateTemporary(["queue:a*"], TimeSpan.FromHours(1)).WithAuthorizedScopes(["queue:ab"]));
        var response = await client.CallAsync<JObject>(HttpMethod.Get, "queue", "/ping", null);
        Assert.Equal(["queue:ab"], response["ext"]!["authorizedScopes"]!.Select(s => (string)s!));
        Assert.Equal(["queue:ab"], response["scopes"]!.Select(s => (string)s!));

        using var excessive = Client(node, Permanent.WithAuthorizedScopes(["secrets:get:x"]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Assert.ThrowsAsync<TaskclusterException>(() => excessive.CallAsync<JObject>(HttpMethod.Get, "queue", "/ping", null))).StatusCode);
    }

    [SkippableFact]
    public async Task Bewit_urls_are_accepted()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        using var client = Client(node, Permanent.CreateTemporary(["queue:get-artifact:*"], TimeSpan.FromHours(1)));
        var url = client.Queue.BuildSignedArtifactUrl("x", 0, "public/a b.log", TimeSpan.FromMinutes(5));
        using var http = new HttpClient();
        using var response = await http.GetAsync(url);
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal(["queue:get-artifact:*"], body["scopes"]!.Select(s => (string)s!));
    }

    [SkippableFact]
    public async Task The_verifier_accepts_headers_and_bewits_of_the_reference_client()
    {
        await using var node = await NodeHawkServer.StartAsync(Clients);
        using var http = new HttpClient();
        var temp = Permanent.CreateTemporary(["queue:a"], TimeSpan.FromHours(1)).WithAuthorizedScopes(["queue:a"]);
        var ext = TaskclusterExt.Create(temp);
        var verifier = new HawkVerifier((id, _) => ValueTask.FromResult(id == Issuer ? new HawkClient(IssuerToken, ["queue:*"]) : null));
        const string resource = "/api/queue/v1/task/x/runs/0/artifacts/public%2Fa%20b?limit=1";

        var get = await node.SignAsync(http, "http://tc.example.com:8080" + resource, "GET", temp.ClientId, temp.AccessToken, ext);
        var request = new HawkRequest { Method = "GET", Resource = resource, Host = "tc.example.com", Port = 8080, Authorization = get };
        var result = await verifier.VerifyAsync(request);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(["queue:a"], result.Scopes);
        Assert.Equal("Bad mac", (await verifier.VerifyAsync(request with { Port = 80 })).Message);

        const string body = "{\"reason\":\"worker-shutdown\"}";
        var post = await node.SignAsync(http, "https://tc.example.com/api/queue/v1/task/x/runs/0/exception", "POST", Issuer, IssuerToken, null, body, "application/json");
        Assert.Contains("hash=\"", post, StringComparison.Ordinal);
        var postRequest = new HawkRequest
        {
            Method = "POST", Resource = "/api/queue/v1/task/x/runs/0/exception", Host = "tc.example.com", Port = 443,
            Authorization = post, ContentType = "application/json", Payload = Encoding.UTF8.GetBytes(body),
        };
        Assert.True((await verifier.VerifyAsync(postRequest)).IsAuthenticated);
        Assert.Equal("Bad payload hash", (await verifier.VerifyAsync(postRequest with { Payload = Encoding.UTF8.GetBytes(body + " ") })).Message);

        var bewit = await node.BewitAsync(http, "http://127.0.0.1:5000" + resource, temp.ClientId, temp.AccessToken, ext, 60);
        var bewitRequest = new HawkRequest { Method = "GET", Resource = resource + "&bewit=" + bewit, Host = "127.0.0.1", Port = 5000 };
        var bewitResult = await verifier.VerifyAsync(bewitRequest);
        Assert.True(bewitResult.IsAuthenticated, bewitResult.Message);
        Assert.Equal("Bad mac", (await verifier.VerifyAsync(bewitRequest with { Resource = resource.Replace("limit=1", "limit=2", StringComparison.Ordinal) + "&bewit=" + bewit })).Message);
    }

    private static TaskclusterClient Client(NodeHawkServer node, TaskclusterCredentials credentials) =>
        new(new TaskclusterClientOptions { RootUrl = node.Url, Credentials = credentials, MaxRetries = 0 });
}
