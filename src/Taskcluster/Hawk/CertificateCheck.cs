using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>The auth service's checks of a temporary-credential certificate, with its messages.</summary>
internal sealed record CertificateCheck(string? Error, string? AccessToken, IReadOnlyList<string>? Scopes, DateTimeOffset? Expiry)
{
    private static readonly TimeSpan Drift = TimeSpan.FromMinutes(5);

    public static CertificateCheck Check(JToken token, string clientId, string issuer, HawkClient issuingClient, DateTimeOffset now)
    {
        if (token is not JObject cert)
        {
            return Fail("ext.certificate must be a JSON object");
        }

        if (cert["version"] is not JValue { Type: JTokenType.Integer } version || (long)version != 1)
        {
            return Fail("ext.certificate.version must be 1");
        }

        if (cert["seed"] is not JValue { Type: JTokenType.String } seedValue)
        {
            return Fail("ext.certificate.seed must be a string");
        }

        var seed = (string)seedValue!;
        if (seed.Length != 44)
        {
            return Fail("ext.certificate.seed is not 44 characters");
        }

        if (!TaskclusterIdentifiers.IsValidScope(seed))
        {
            return Fail("ext.certificate.seed must be printable ASCII");
        }

        if (cert["start"] is not JValue { Type: JTokenType.Integer } startValue)
        {
            return Fail("ext.certificate.start must be a number");
        }

        if (cert["expiry"] is not JValue { Type: JTokenType.Integer } expiryValue)
        {
            return Fail("ext.certificate.expiry must be a number");
        }

        if (cert["scopes"] is not JArray scopeArray || scopeArray.Any(s => s.Type != JTokenType.String || !ScopeSatisfaction.IsValidScope((string)s!)))
        {
            return Fail("ext.certificate.scopes must be an array of valid scopes");
        }

        if (cert.ContainsKey("clientId") && !cert.ContainsKey("issuer"))
        {
            return Fail("ext.certificate.clientId is only allowed together with ext.certificate.issuer");
        }

        var start = (long)startValue;
        var expiry = (long)expiryValue;
        var nowMs = now.ToUnixTimeMilliseconds();
        if (start > nowMs + (long)Drift.TotalMilliseconds)
        {
            return Fail("ext.certificate.start > now");
        }

        if (expiry < nowMs - (long)Drift.TotalMilliseconds)
        {
            return Fail("ext.certificate.expiry < now");
        }

        if (expiry - start > (long)TaskclusterCredentials.MaxTemporaryLifetime.TotalMilliseconds)
        {
            return Fail("ext.certificate cannot last longer than 31 days!");
        }

        var named = issuer != clientId;
        if (named && (!TaskclusterIdentifiers.IsValidClientId(clientId) || !TaskclusterIdentifiers.IsValidClientId(issuer)))
        {
            return Fail("ext.certificate: the clientId and issuer of named credentials must match ^[A-Za-z0-9!@/:.+|_-]+$");
        }

        if (named && !ScopeSatisfaction.Satisfies(issuingClient.Scopes, "auth:create-client:" + clientId))
        {
            return Fail($"ext.certificate issuer `{issuer}` doesn't have `auth:create-client:{clientId}` for supplied clientId.");
        }

        var scopes = scopeArray.Select(s => (string)s!).ToArray();
        if (!ScopeSatisfaction.SatisfiesAll(issuingClient.Scopes, scopes))
        {
            return Fail("ext.certificate issuer doesn't satisfy all certificate scopes " + string.Join(", ", scopes) + ". The temporary credentials were not generated correctly.");
        }

        var expected = TemporaryCertificate.Sign(issuingClient.AccessToken, named ? clientId : null, named ? issuer : null, seed, start, expiry, scopes);
        if (cert["signature"] is not JValue { Type: JTokenType.String } signature || !HawkCrypto.FixedTimeEquals(expected, (string)signature!))
        {
            return Fail("ext.certificate.signature is not valid");
        }

        return new CertificateCheck(null, TemporaryCertificate.DeriveAccessToken(issuingClient.AccessToken, seed), scopes, DateTimeOffset.FromUnixTimeMilliseconds(expiry));
    }

    private static CertificateCheck Fail(string message) => new(message, null, null, null);
}
