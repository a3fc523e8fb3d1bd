using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

public sealed class TemporaryCredentialsTests
{
    [SkippableFact]
    public async Task Official_client_go_vectors_match_exactly_and_verify()
    {
        var cases = (JArray)await TestFiles.ApiJsonAsync("testvectors/clients/client-go/testcases.json");
        Assert.Equal(4, cases.Count);
        foreach (var c in cases)
        {
            var description = (string)c["description"]!;
            var perm = c["permCreds"]!;
            var authorized = perm["authorizedScopes"] is JArray a ? a.Select(s => (string)s!).ToArray() : null;
            var permanent = new TaskclusterCredentials((string)perm["clientId"]!, (string)perm["accessToken"]!, (string?)perm["certificate"], authorized);
            var name = (string)c["tempCredsName"]!;
            var start = DateTimeOffset.Parse((string)c["start"]!, System.Globalization.CultureInfo.InvariantCulture);
            var expiry = DateTimeOffset.Parse((string)c["expiry"]!, System.Globalization.CultureInfo.InvariantCulture);

            var temp = permanent.CreateTemporary(c["tempCredsScopes"]!.Select(s => (string)s!), start, expiry, name.Length == 0 ? null : name, (string)c["seed"]!);

            var expected = c["expectedTempCreds"]!;
            Assert.True((string)expected["clientId"]! == temp.ClientId, description);
            Assert.True((string)expected["accessToken"]! == temp.AccessToken, description);
            Assert.True((string)expected["certificate"]! == temp.Certificate, description + ": " + temp.Certificate);
            Assert.Equal(expected["authorizedScopes"] is JArray e ? e.Select(s => (string)s!).ToArray() : null, temp.AuthorizedScopes);

            // The server side accepts them as the auth service would.
            var lookup = new HawkClientLookup((id, _) => ValueTask.FromResult(id == permanent.ClientId
                ? new HawkClient(permanent.AccessToken, ["scope/*", "auth:create-client:abc/*"]) : null));
            var time = new FakeTimeProvider(start.AddHours(1));
            var url = TaskclusterUrl.Create("https://tc.example.com/api/queue/v1/ping");
            var result = await new HawkVerifier(lookup, time).VerifyAsync(new HawkRequest
            {
                Method = "GET", Resource = url.PathAndQuery, Host = url.Host, Port = url.Port,
                Authorization = HawkSigner.CreateAuthorizationHeader(temp, "GET", url, time.GetUtcNow()),
            });
            Assert.True(result.IsAuthenticated, description + ": " + result.Message);
            Assert.Equal(temp.ClientId, result.ClientId);
            Assert.Equal(authorized ?? ["scope/asd:fhjdf/X", "scope/asd:fhjdf/XYZ*"], result.Scopes);
            Assert.Equal(expiry, result.Expires);
        }
    }

    [Fact]
    public void Empty_scope_list_is_signed_as_the_server_joins_it()
    {
        var permanent = new TaskclusterCredentials("issuer", "secret");
        var seed = new string('s', 44);
        var temp = permanent.CreateTemporary([], DateTimeOffset.FromUnixTimeMilliseconds(1000), DateTimeOffset.FromUnixTimeMilliseconds(2000), null, seed);

        var serverText = "version:1\nseed:" + seed + "\nstart:1000\nexpiry:2000\nscopes:";
        var expected = Convert.ToBase64String(HMACSHA256.HashData("secret"u8, Encoding.UTF8.GetBytes(serverText)));
        var jsClientStyle = Convert.ToBase64String(HMACSHA256.HashData("secret"u8, Encoding.UTF8.GetBytes(serverText + "\n")));
        var signature = (string)JObject.Parse(temp.Certificate!)["signature"]!;
        Assert.Equal(expected, signature);
        Assert.NotEqual(jsClientStyle, signature);
    }

    [Fact]
    public void Named_credentials_sign_client_id_and_issuer_and_unnamed_do_not()
    {
        var permanent = new TaskclusterCredentials("issuer", "secret");
        var seed = new string('s', 44);
        var named = permanent.CreateTemporary(["a"], DateTimeOffset.FromUnixTimeMilliseconds(1), DateTimeOffset.FromUnixTimeMilliseconds(2), "my/name", seed);
        var text = "version:1\nclientId:my/name\nissuer:issuer\nseed:" + seed + "\nstart:1\nexpiry:2\nscopes:\na";
        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData("secret"u8, Encoding.UTF8.GetBytes(text))), (string)JObject.Parse(named.Certificate!)["signature"]!);
        Assert.Equal("issuer", (string)JObject.Parse(named.Certificate!)["issuer"]!);
        Assert.Equal("my/name", named.ClientId);
        Assert.Null(JObject.Parse(permanent.CreateTemporary(["a"], TimeSpan.FromHours(1)).Certificate!)["issuer"]);
    }

    [Fact]
    public void Lifetime_limits_and_chaining_are_rejected()
    {
        var permanent = new TaskclusterCredentials("issuer", "secret");
        var start = DateTimeOffset.UnixEpoch;
        Assert.Throws<ArgumentOutOfRangeException>(() => permanent.CreateTemporary(["a"], start, start.AddDays(31).AddMilliseconds(1), null, new string('s', 44)));
        Assert.Throws<ArgumentOutOfRangeException>(() => permanent.CreateTemporary(["a"], TimeSpan.FromDays(31)));
        var temp = permanent.CreateTemporary(["a"], start, start.AddDays(31), null, new string('s', 44));
        Assert.Throws<InvalidOperationException>(() => temp.CreateTemporary(["a"], TimeSpan.FromHours(1)));
        Assert.Throws<ArgumentException>(() => permanent.CreateTemporary(["a"], TimeSpan.FromHours(1), name: "issuer"));
        Assert.Throws<ArgumentException>(() => permanent.CreateTemporary(["a"], start, start.AddDays(1), null, "too-short"));
    }

    [Fact]
    public void Random_temporary_credentials_start_five_minutes_early_with_a_44_character_seed()
    {
        var time = new FakeTimeProvider(Canned.Now);
        var temp = new TaskclusterCredentials("issuer", "secret").CreateTemporary(["a"], TimeSpan.FromHours(2), timeProvider: time);
        var certificate = TemporaryCertificate.Parse(temp.Certificate!);
        Assert.Equal(Canned.Now.AddMinutes(-5), certificate.Start);
        Assert.Equal(Canned.Now.AddHours(2), certificate.Expiry);
        Assert.Equal(44, ((string)certificate.Json["seed"]!).Length);
        Assert.Equal(TemporaryCertificate.DeriveAccessToken("secret", (string)certificate.Json["seed"]!), temp.AccessToken);
    }

    [Fact]
    public void FromEnvironment_reads_the_taskcluster_variables()
    {
        var certificate = new TaskclusterCredentials("issuer", "secret").CreateTemporary(["a"], TimeSpan.FromHours(1)).Certificate;
        var variables = new Dictionary<string, string?>
        {
            ["TASKCLUSTER_ROOT_URL"] = "https://tc.example.com/",
            ["TASKCLUSTER_CLIENT_ID"] = "issuer",
            ["TASKCLUSTER_ACCESS_TOKEN"] = "tok",
            ["TASKCLUSTER_CERTIFICATE"] = certificate,
        };
        var options = TaskclusterClientOptions.FromEnvironment(k => variables.GetValueOrDefault(k));
        Assert.Equal("https://tc.example.com/", options.RootUrl);
        Assert.Equal("issuer", options.Credentials!.ClientId);
        Assert.Equal("tok", options.Credentials.AccessToken);
        Assert.Equal(certificate, options.Credentials.Certificate);

        variables["TASKCLUSTER_CERTIFICATE"] = "";
        Assert.False(TaskclusterCredentials.FromEnvironment(k => variables.GetValueOrDefault(k))!.IsTemporary);
        variables.Remove("TASKCLUSTER_ACCESS_TOKEN");
        Assert.Null(TaskclusterCredentials.FromEnvironment(k => variables.GetValueOrDefault(k)));
        variables.Remove("TASKCLUSTER_ROOT_URL");
        Assert.Throws<InvalidOperationException>(() => TaskclusterClientOptions.FromEnvironment(k => variables.GetValueOrDefault(k)));
    }

    [Fact]
    public void ToString_shows_no_secret()
    {
        var temp = new TaskclusterCredentials("issuer", "the-secret-token").CreateTemporary(["a"], TimeSpan.FromHours(1)).WithAuthorizedScopes(["a"]);
        var text = temp.ToString();
        Assert.Contains("issuer", text, StringComparison.Ordinal);
        Assert.Contains("Temporary", text, StringComparison.Ordinal);
        Assert.DoesNotContain(temp.AccessToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain("signature", text, StringComparison.Ordinal);
        Assert.DoesNotContain("the-secret-token", new TaskclusterCredentials("c", "the-secret-token").ToString(), StringComparison.Ordinal);
    }
}
