using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

public sealed class UrlTests
{
    [Fact]
    public void Route_parameters_are_escaped_slash_included()
    {
        Assert.Equal("proj%2Fwt", TaskclusterUrl.Escape("proj/wt"));
        Assert.Equal("a%20b%25c%28%29%21%2A%27~%C3%A9%3F%23%26", TaskclusterUrl.Escape("a b%c()!*'~é?#&"));
        Assert.Equal("https://tc.example.com/api/queue/v1/claim-work/proj%2Fwt", TaskclusterUrl.Api("https://tc.example.com/", "queue", "/claim-work/proj%2Fwt").AbsoluteUri);
        Assert.Throws<ArgumentException>(() => TaskclusterUrl.Api("https://tc.example.com", "queue", "ping"));
        Assert.Throws<ArgumentException>(() => new TaskclusterClient(new TaskclusterClientOptions { RootUrl = "tc.example.com" }));
        Assert.Throws<ArgumentException>(() => new TaskclusterClient(new TaskclusterClientOptions { RootUrl = "ftp://tc.example.com" }));
    }

    [Fact]
    public void Uris_keep_the_path_exactly_as_written_where_a_default_uri_would_not()
    {
        const string text = "http://127.0.0.1/api/queue/v1/task/x/runs/0/artifacts/%41%2F..%2F./..";
        Assert.Equal("/api/queue/v1/task/x/runs/0/artifacts/%41%2F..%2F./..", TaskclusterUrl.Create(text).PathAndQuery);
        Assert.NotEqual(TaskclusterUrl.Create(text).PathAndQuery, new Uri(text).PathAndQuery);
    }

    [Theory]
    [InlineData("public/logs/live.log")]
    [InlineData("public/a b+c%41%2F(1)!*'~é.txt")]
    [InlineData("..")]
    [InlineData(".")]
    public async Task What_goes_on_the_wire_is_what_was_signed(string name)
    {
        await using var fake = await FakeService.StartAsync();
        var target = $"/api/queue/v1/task/{Canned.TaskId}/runs/0/artifacts/{Uri.EscapeDataString(name)}";
        fake.On("GET", target, new Reply(303, null, new Dictionary<string, string> { ["Location"] = "http://127.0.0.1:1/x" }));
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = fake.Url, Credentials = Canned.Worker, MaxRetries = 0 });

        var result = await client.Queue.GetArtifactAsync(Canned.TaskId, 0, name);

        Assert.Equal("http://127.0.0.1:1/x", result.Url);
        var request = Assert.Single(fake.Requests);
        Assert.Equal(target, request.RawTarget);
        var url = new Uri(fake.Url);
        var verified = await new HawkVerifier(Canned.Lookup()).VerifyAsync(new HawkRequest
        {
            Method = "GET", Resource = request.RawTarget, Host = url.Host, Port = url.Port, Authorization = request.Header("Authorization"),
        });
        Assert.True(verified.IsAuthenticated, verified.Message);
    }

    [Fact]
    public async Task The_verifier_guards_an_aspnetcore_endpoint()
    {
        var verifier = new HawkVerifier(Canned.Lookup(["queue:*"]));
        await using var server = await VerifyingServer.StartAsync(verifier);
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.Url, Credentials = Canned.Worker, MaxRetries = 0 });

        var ok = await client.CallAsync<JObject>(HttpMethod.Post, "queue", "/claim-work/proj%2Fwt", new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "wid" });
        Assert.Equal(Canned.WorkerClientId, (string)ok["clientId"]!);
        Assert.Equal(["queue:*"], ok["scopes"]!.Select(s => (string)s!));

        using var hashing = new TaskclusterClient(client.Options with { SignPayloads = true });
        Assert.Equal(Canned.WorkerClientId, (string)(await hashing.CallAsync<JObject>(HttpMethod.Post, "queue", "/claim-work/proj%2Fwt", new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "wid" }))["clientId"]!);
        Assert.Contains(server.Requests, r => r.Header("Authorization")!.Contains("hash=\"", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.WithCredentials(new TaskclusterCredentials(Canned.WorkerClientId, "wrong")).Queue.PingAsync());
        Assert.Equal("AuthenticationFailed", error.Code);
        Assert.Contains("Bad mac", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithCredentials_shares_everything_but_the_credentials_and_never_disposes_the_shared_http_client()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/ping", new Reply(200, new JObject()));
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = fake.Url, Credentials = Canned.Worker, MaxRetries = 2 });
        var claim = client.Queue.WithCredentials(Canned.ClaimCredentials());
        Assert.Equal(Canned.ClaimCredentials().ClientId, claim.Client.Credentials!.ClientId);
        Assert.Equal(2, claim.Client.Options.MaxRetries);
        Assert.Same(client.Http, claim.Client.Http);
        Assert.Equal(Canned.WorkerClientId, client.Credentials!.ClientId);
        Assert.Null(client.WithCredentials(null).Credentials);

        claim.Client.Dispose();
        await client.Queue.PingAsync();
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => claim.PingAsync());
    }
}
