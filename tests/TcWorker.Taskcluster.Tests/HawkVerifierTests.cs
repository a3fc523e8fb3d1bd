using System.Text;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

public sealed class HawkVerifierTests
{
    private static readonly Uri Url = TaskclusterUrl.Create("https://tc.example.com/api/queue/v1/task/abc/runs/0/artifacts?limit=5");
    private readonly FakeTimeProvider time = new(Canned.Now);

    [Fact]
    public async Task Permanent_credentials_authenticate_with_the_clients_scopes()
    {
        var result = await VerifyAsync(Canned.Worker, scopes: ["queue:*"]);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(Canned.WorkerClientId, result.ClientId);
        Assert.Equal(["queue:*"], result.Scopes);
    }

    [Fact]
    public async Task Wrong_key_unknown_client_and_changed_request_fail()
    {
        Assert.Equal("Bad mac", (await VerifyAsync(new TaskclusterCredentials(Canned.WorkerClientId, "wrong"))).Message);
        Assert.Equal("Client `nobody` not found", (await VerifyAsync(new TaskclusterCredentials("nobody", "x"))).Message);
        var header = Sign(Canned.Worker);
        Assert.Equal("Bad mac", (await Verifier().VerifyAsync(Request(header) with { Host = "other.example.com" })).Message);
        Assert.Equal("Bad mac", (await Verifier().VerifyAsync(Request(header) with { Resource = "/api/queue/v1/task/abc/runs/0/artifacts?limit=6" })).Message);
    }

    [Fact]
    public async Task Timestamps_are_accepted_within_fifteen_minutes_only()
    {
        var header = Sign(Canned.Worker);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.True((await Verifier().VerifyAsync(Request(header))).IsAuthenticated);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("Stale timestamp", (await Verifier().VerifyAsync(Request(header))).Message);
        var earlier = new HawkVerifier(Canned.Lookup(), new FakeTimeProvider(Canned.Now.AddMinutes(-16)));
        Assert.Equal("Stale timestamp", (await earlier.VerifyAsync(Request(header))).Message);
    }

    [Fact]
    public async Task Headers_over_4096_characters_are_refused()
    {
        var many = Enumerable.Range(0, 200).Select(i => $"queue:some-scope-{i}").ToArray();
        var header = Sign(Canned.Worker.WithAuthorizedScopes(many));
        Assert.True(header.Length > 4096);
        Assert.Equal("Header length too long", (await Verifier().VerifyAsync(Request(header))).Message);
    }

    [Fact]
    public async Task Malformed_headers_fail_with_hawks_messages()
    {
        var header = Sign(Canned.Worker);
        Assert.Equal("Unknown attribute: foo", (await Verifier().VerifyAsync(Request(header + ", foo=\"1\""))).Message);
        Assert.Equal("Duplicate attribute: ts", (await Verifier().VerifyAsync(Request(header + ", ts=\"1\""))).Message);
        Assert.Equal("Missing attributes", (await Verifier().VerifyAsync(Request("Hawk id=\"a\", ts=\"1\", nonce=\"n\""))).Message);
        Assert.Equal("Unauthorized", (await Verifier().VerifyAsync(Request("Basic abc"))).Message);
        Assert.Equal(HawkVerificationStatus.NoAuthentication, (await Verifier().VerifyAsync(Request(null))).Status);
        Assert.Equal(["assume:anonymous"], (await Verifier().VerifyAsync(Request(null))).Scopes);
    }

    [Fact]
    public async Task Unnamed_and_named_temporary_credentials_take_the_certificate_scopes_and_expiry()
    {
        var unnamed = Canned.Worker.CreateTemporary(["queue:a"], TimeSpan.FromHours(1), timeProvider: time);
        var result = await VerifyAsync(unnamed);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(Canned.WorkerClientId, result.ClientId);
        Assert.Equal(["queue:a"], result.Scopes);
        Assert.Equal(Canned.Now.AddHours(1), result.Expires);

        var named = Canned.Worker.CreateTemporary(["queue:a"], TimeSpan.FromHours(1), "task-client/x", time);
        Assert.Equal("task-client/x", (await VerifyAsync(named, scopes: ["queue:*", "auth:create-client:task-client/*"])).ClientId);
        Assert.Equal(
            $"ext.certificate issuer `{Canned.WorkerClientId}` doesn't have `auth:create-client:task-client/x` for supplied clientId.",
            (await VerifyAsync(named, scopes: ["queue:*"])).Message);
    }

    [Fact]
    public async Task Certificates_are_checked_as_the_auth_service_does()
    {
        var time = this.time.GetUtcNow();
        var temp = Canned.Worker.CreateTemporary(["queue:a"], TimeSpan.FromHours(1), timeProvider: this.time);
        Assert.Equal("ext.certificate issuer doesn't satisfy all certificate scopes queue:a. The temporary credentials were not generated correctly.", (await VerifyAsync(temp, scopes: ["queue:b"])).Message);
        Assert.Equal("ext.certificate.signature is not valid", (await VerifyAsync(Tamper(temp, c => c["scopes"] = new JArray("queue:b")), scopes: ["queue:*"])).Message);
        Assert.Equal("ext.certificate.version must be 1", (await VerifyAsync(Tamper(temp, c => c["version"] = 2))).Message);
        Assert.Equal("ext.certificate.seed is not 44 characters", (await VerifyAsync(Tamper(temp, c => c["seed"] = "short"))).Message);
        Assert.Equal("ext.certificate.seed must be printable ASCII", (await VerifyAsync(Tamper(temp, c => c["seed"] = new string('a', 40) + "\nb:c"))).Message);
        Assert.Equal("Invalid clientId: client ids match ^[A-Za-z0-9!@/:.+|_-]+$", (await VerifyAsync(new TaskclusterCredentials("bad id", "token"))).Message);
        Assert.Equal("ext.certificate.clientId is only allowed together with ext.certificate.issuer", (await VerifyAsync(Tamper(temp, c => c["clientId"] = "x"))).Message);
        Assert.Equal("ext.certificate.issuer must differ from the supplied clientId", (await VerifyAsync(Tamper(temp, c => c["issuer"] = Canned.WorkerClientId))).Message);

        var future = Canned.Worker.CreateTemporary(["queue:a"], time.AddMinutes(6), time.AddHours(1));
        Assert.Equal("ext.certificate.start > now", (await VerifyAsync(future)).Message);
        var past = Canned.Worker.CreateTemporary(["queue:a"], time.AddHours(-2), time.AddMinutes(-6));
        Assert.Equal("ext.certificate.expiry < now", (await VerifyAsync(past)).Message);
        var recent = Canned.Worker.CreateTemporary(["queue:a"], time.AddHours(-2), time.AddMinutes(-4));
        Assert.True((await VerifyAsync(recent)).IsAuthenticated);

        // Longer than 31 days cannot be created by this client; sign one by hand.
        var seed = TaskclusterCredentials.NewSeed();
        long start = time.AddDays(-31).ToUnixTimeMilliseconds(), expiry = time.AddMinutes(1).ToUnixTimeMilliseconds();
        var certificate = new JObject
        {
            ["version"] = 1, ["scopes"] = new JArray("queue:a"), ["start"] = start, ["expiry"] = expiry, ["seed"] = seed,
            ["signature"] = TemporaryCertificate.Sign(Canned.WorkerAccessToken, null, null, seed, start, expiry, ["queue:a"]),
        };
        var tooLong = new TaskclusterCredentials(Canned.WorkerClientId, TemporaryCertificate.DeriveAccessToken(Canned.WorkerAccessToken, seed), certificate.ToString(Formatting.None));
        Assert.Equal("ext.certificate cannot last longer than 31 days!", (await VerifyAsync(tooLong)).Message);
    }

    [Fact]
    public async Task AuthorizedScopes_restrict_and_must_be_satisfied()
    {
        var result = await VerifyAsync(Canned.Worker.WithAuthorizedScopes(["queue:get-task:x", "assume:anonymous"]), scopes: ["queue:*"]);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(["queue:get-task:x", "assume:anonymous"], result.Scopes);

        Assert.Empty((await VerifyAsync(Canned.Worker.WithAuthorizedScopes([]), scopes: ["queue:*"])).Scopes);
        Assert.StartsWith("Supplied credentials do not satisfy authorizedScopes", (await VerifyAsync(Canned.Worker.WithAuthorizedScopes(["auth:x"]), scopes: ["queue:*"])).Message, StringComparison.Ordinal);

        var temp = Canned.Worker.CreateTemporary(["queue:a*"], TimeSpan.FromHours(1), timeProvider: time).WithAuthorizedScopes(["queue:ab"]);
        Assert.Equal(["queue:ab"], (await VerifyAsync(temp)).Scopes);
        Assert.False((await VerifyAsync(temp.WithAuthorizedScopes(["queue:b"]))).IsAuthenticated);
    }

    [Fact]
    public async Task Payload_hash_is_checked_when_sent()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var hash = HawkCrypto.PayloadHash("application/json; charset=utf-8", body);
        var header = HawkSigner.CreateAuthorizationHeader(Canned.Worker, "GET", Url, time.GetUtcNow(), hash);
        var request = Request(header) with { ContentType = "Application/JSON", Payload = body };
        Assert.True((await Verifier().VerifyAsync(request)).IsAuthenticated);
        Assert.Equal("Bad payload hash", (await Verifier().VerifyAsync(request with { Payload = "{\"a\":2}"u8.ToArray() })).Message);
        Assert.Equal("Bad payload hash", (await Verifier().VerifyAsync(request with { ContentType = "text/plain" })).Message);
    }

    [Fact]
    public async Task Payload_hash_can_be_checked_after_the_header_when_deferred()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var hash = HawkCrypto.PayloadHash("application/json", body);
        var header = HawkSigner.CreateAuthorizationHeader(Canned.Worker, "PUT", Url, time.GetUtcNow(), hash);
        var request = Request(header) with { Method = "PUT", ContentType = "application/json", DeferPayloadHash = true };
        var result = await Verifier().VerifyAsync(request);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(hash, result.PayloadHash);
        Assert.True(result.PayloadMatches("application/json", body));
        Assert.False(result.PayloadMatches("application/json", "{\"a\":2}"u8));
        Assert.Equal("Bad mac", (await Verifier().VerifyAsync(request with { Authorization = header.Replace(hash, HawkCrypto.PayloadHash("application/json", "{}"u8), StringComparison.Ordinal) })).Message);
        var unhashed = await Verifier().VerifyAsync(Request(Sign(Canned.Worker)) with { DeferPayloadHash = true });
        Assert.Null(unhashed.PayloadHash);
        Assert.True(unhashed.PayloadMatches("text/plain", body));
    }

    [Fact]
    public async Task Bewits_authenticate_get_until_they_expire()
    {
        var temp = Canned.Worker.CreateTemporary(["queue:get-artifact:*"], TimeSpan.FromHours(2), timeProvider: time);
        var signed = HawkSigner.CreateBewitUri(temp, Url, time.GetUtcNow().AddMinutes(30));
        Assert.StartsWith(Url.PathAndQuery + "&bewit=", signed.PathAndQuery, StringComparison.Ordinal);
        var request = new HawkRequest { Method = "GET", Resource = signed.PathAndQuery, Host = signed.Host, Port = signed.Port };

        var result = await Verifier().VerifyAsync(request);
        Assert.True(result.IsAuthenticated, result.Message);
        Assert.Equal(["queue:get-artifact:*"], result.Scopes);
        Assert.Equal("Multiple authentications", (await Verifier().VerifyAsync(request with { Authorization = Sign(Canned.Worker) })).Message);
        Assert.Equal("Invalid method", (await Verifier().VerifyAsync(request with { Method = "POST" })).Message);
        Assert.Equal("Bad mac", (await Verifier().VerifyAsync(request with { Resource = signed.PathAndQuery.Replace("limit=5", "limit=6", StringComparison.Ordinal) })).Message);
        time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal("Access expired", (await Verifier().VerifyAsync(request)).Message);

        var first = HawkSigner.CreateBewitUri(Canned.Worker, TaskclusterUrl.Create("http://127.0.0.1:81/x"), time.GetUtcNow().AddMinutes(1));
        Assert.StartsWith("/x?bewit=", first.PathAndQuery, StringComparison.Ordinal);
        Assert.True((await Verifier().VerifyAsync(new HawkRequest { Method = "GET", Resource = first.PathAndQuery, Host = "127.0.0.1", Port = 81 })).IsAuthenticated);
    }

    [Fact]
    public void Forwarded_headers_decide_the_port()
    {
        Assert.Equal(8443, HawkRequest.ResolvePort(80, "8443", "https"));
        Assert.Equal(443, HawkRequest.ResolvePort(80, null, "https"));
        Assert.Equal(80, HawkRequest.ResolvePort(80, null, null));
    }

    [Fact]
    public void Scope_satisfaction_follows_the_star_suffix_rule()
    {
        Assert.True(ScopeSatisfaction.Satisfies(["queue:*"], "queue:claim-work:a/b"));
        Assert.True(ScopeSatisfaction.Satisfies(["*"], "anything"));
        Assert.True(ScopeSatisfaction.Satisfies(["assume:worker-pool:*"], "assume:worker-pool:proj/wt"));
        Assert.True(ScopeSatisfaction.Satisfies(["a*"], "a*"));
        Assert.True(ScopeSatisfaction.Satisfies(["a*"], "a"));
        Assert.False(ScopeSatisfaction.Satisfies(["a"], "a*"));
        Assert.False(ScopeSatisfaction.Satisfies(["queue:"], "queue:x"));
        Assert.False(ScopeSatisfaction.Satisfies(["a*b"], "a-b"));
        Assert.False(ScopeSatisfaction.Satisfies([], "a"));
        Assert.True(ScopeSatisfaction.SatisfiesAll(["a", "b*"], ["a", "bc", "b"]));
        Assert.Equal(["c"], ScopeSatisfaction.Missing(["a", "b*"], ["a", "c", "bc"]));
        Assert.False(ScopeSatisfaction.IsValidScope("a\nb"));
        Assert.False(ScopeSatisfaction.IsValidScope("é"));
    }

    private static TaskclusterCredentials Tamper(TaskclusterCredentials temp, Action<JObject> change)
    {
        var certificate = JObject.Parse(temp.Certificate!);
        change(certificate);
        return new TaskclusterCredentials(temp.ClientId, temp.AccessToken, certificate.ToString(Formatting.None));
    }

    private async Task<HawkVerificationResult> VerifyAsync(TaskclusterCredentials credentials, IReadOnlyList<string>? scopes = null) =>
        await Verifier(scopes).VerifyAsync(Request(Sign(credentials)));

    private HawkVerifier Verifier(IReadOnlyList<string>? scopes = null) => new(Canned.Lookup(scopes), time);

    private string Sign(TaskclusterCredentials credentials) => HawkSigner.CreateAuthorizationHeader(credentials, "GET", Url, time.GetUtcNow());

    private static HawkRequest Request(string? authorization) =>
        new() { Method = "GET", Resource = Url.PathAndQuery, Host = Url.Host, Port = Url.Port, Authorization = authorization };
}
