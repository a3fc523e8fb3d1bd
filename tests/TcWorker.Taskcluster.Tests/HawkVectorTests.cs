using System.Text;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

public sealed class HawkVectorTests
{
    [SkippableFact]
    public async Task Hawk_spec_examples_give_the_same_normalized_string_mac_header_and_verify()
    {
        var file = (JObject)await TestFiles.ApiJsonAsync("testvectors/derived/hawk-api-md-examples.json");
        var id = (string)file["credentials"]!["id"]!;
        var key = (string)file["credentials"]!["key"]!;
        foreach (var c in file["cases"]!)
        {
            var name = (string)c["name"]!;
            var hash = (string)c["hash"]!;
            var ts = (long)c["ts"]!;
            if (c["payload"] is { } payload)
            {
                Assert.Equal(hash, HawkCrypto.PayloadHash((string)c["content_type"]!, Encoding.UTF8.GetBytes((string)payload!)));
            }

            var normalized = HawkCrypto.NormalizedString("header", ts, (string)c["nonce"]!, (string)c["method"]!, (string)c["resource"]!, (string)c["host"]!, (int)c["port"]!, hash.Length == 0 ? null : hash, (string)c["ext"]!);
            Assert.Equal((string)c["normalized"]!, normalized);
            Assert.Equal((string)c["expected_mac"]!, HawkCrypto.Mac(key, normalized));
            var header = HawkSigner.CreateAuthorizationHeader(id, key, (string)c["method"]!, (string)c["resource"]!, (string)c["host"]!, (int)c["port"]!, ts, (string)c["nonce"]!, hash.Length == 0 ? null : hash, (string)c["ext"]!);
            Assert.Equal((string)c["expected_header"]!, header);

            var verifier = new HawkVerifier((clientId, _) => ValueTask.FromResult(clientId == id ? new HawkClient(key, ["s"]) : null), new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(ts)));
            var request = new HawkRequest
            {
                Method = (string)c["method"]!, Resource = (string)c["resource"]!, Host = (string)c["host"]!, Port = (int)c["port"]!,
                Authorization = (string)c["expected_header"]!, ContentType = (string?)c["content_type"],
                Payload = c["payload"] is { } p ? Encoding.UTF8.GetBytes((string)p!) : default,
            };
            // Taskcluster requires ext to be base64 JSON, which the spec's plain-Hawk ext is not.
            Assert.Equal("Failed to parse ext", (await verifier.VerifyAsync(request)).Message);

            // The same request without ext verifies, and any change to it breaks the mac.
            var plain = request with
            {
                Authorization = HawkSigner.CreateAuthorizationHeader(id, key, request.Method, request.Resource, request.Host, request.Port, ts, (string)c["nonce"]!, hash.Length == 0 ? null : hash, null),
            };
            Assert.True((await verifier.VerifyAsync(plain)).IsAuthenticated, name);
            Assert.Equal("Bad mac", (await verifier.VerifyAsync(plain with { Resource = request.Resource + "&c=3" })).Message);
            Assert.Equal("Bad mac", (await verifier.VerifyAsync(plain with { Port = 8001 })).Message);
            Assert.Equal("Bad mac", (await verifier.VerifyAsync(plain with { Method = "PUT" })).Message);
        }
    }

    [SkippableFact]
    public async Task Taskcluster_ext_examples_are_reproduced()
    {
        var file = (JObject)await TestFiles.ApiJsonAsync("testvectors/derived/taskcluster-ext-header-examples.json");
        foreach (var c in file["cases"]!)
        {
            var credentials = c["credentials"]!;
            var scopes = credentials["authorizedScopes"] is JArray a ? a.Select(s => (string)s!).ToArray() : null;
            var ext = TaskclusterExt.Create(new TaskclusterCredentials((string)credentials["clientId"]!, (string)credentials["accessToken"]!, null, scopes));
            Assert.Equal((string)c["expected_ext"]!, ext ?? string.Empty);
            if (c["ext_json"]?.Type == JTokenType.String)
            {
                Assert.Equal((string)c["ext_json"]!, Encoding.UTF8.GetString(Convert.FromBase64String(ext!)));
            }
        }
    }

    [Fact]
    public void Ext_carries_the_certificate_as_an_object_in_standard_base64()
    {
        // Fixed values whose base64 has '+' and '/', where URL-safe base64 would differ (a bad mac).
        var temp = new TaskclusterCredentials("issuer", "secret")
            .CreateTemporary(["a>>>?"], DateTimeOffset.FromUnixTimeMilliseconds(1000), DateTimeOffset.FromUnixTimeMilliseconds(2000), null, new string('s', 44))
            .WithAuthorizedScopes(["a>>>?"]);
        var ext = TaskclusterExt.Create(temp)!;
        Assert.True(ext.Contains('+', StringComparison.Ordinal) || ext.Contains('/', StringComparison.Ordinal), ext);
        var expectedJson = "{\"certificate\":" + temp.Certificate + ",\"authorizedScopes\":[\"a>>>?\"]}";
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(expectedJson)), ext);
        var json = JObject.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(ext)));
        Assert.Equal(JTokenType.Object, json["certificate"]!.Type);
        Assert.True(JToken.DeepEquals(JObject.Parse(temp.Certificate!), json["certificate"]));
        Assert.Equal(["a>>>?"], json["authorizedScopes"]!.Select(s => (string)s!));
    }
}
