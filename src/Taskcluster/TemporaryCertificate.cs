using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>
/// The certificate of temporary credentials, parsed. Clients treat certificates as opaque; this
/// type is for servers that verify them and for tests.
/// </summary>
public sealed class TemporaryCertificate
{
    private TemporaryCertificate(JObject json)
    {
        Json = json;
    }

    /// <summary>The certificate exactly as parsed.</summary>
    public JObject Json { get; }

    /// <summary>The <c>issuer</c> of named credentials, or null for unnamed ones.</summary>
    public string? Issuer => Json["issuer"]?.Type == JTokenType.String ? (string?)Json["issuer"] : null;

    /// <summary>The certificate's scopes (empty when missing or malformed).</summary>
    public IReadOnlyList<string> Scopes =>
        Json["scopes"] is JArray scopes ? scopes.Where(s => s.Type == JTokenType.String).Select(s => (string)s!).ToArray() : [];

    /// <summary>Start of validity, or null when missing or not a number.</summary>
    public DateTimeOffset? Start => Milliseconds("start");

    /// <summary>End of validity, or null when missing or not a number.</summary>
    public DateTimeOffset? Expiry => Milliseconds("expiry");

    /// <summary>Parses a certificate string.</summary>
    /// <exception cref="ArgumentException">The text is not a JSON object.</exception>
    public static TemporaryCertificate Parse(string certificate)
    {
        try
        {
            return FromJson(ParseJson(certificate) as JObject ?? throw new ArgumentException("The certificate is not a JSON object.", nameof(certificate)));
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The certificate is not valid JSON.", nameof(certificate), e);
        }
    }

    /// <summary>Wraps an already parsed certificate object.</summary>
    public static TemporaryCertificate FromJson(JObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new TemporaryCertificate(json);
    }

    /// <summary>
    /// The certificate signature: standard base64 of HMAC-SHA256 keyed with the issuer's access
    /// token over the newline-joined lines the auth service signs.
    /// </summary>
    /// <param name="issuerAccessToken">The access token of the issuing (permanent) client.</param>
    /// <param name="clientId">The name of named credentials, or null.</param>
    /// <param name="issuer">The issuer of named credentials, or null.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="start">Start, in milliseconds since the epoch.</param>
    /// <param name="expiry">Expiry, in milliseconds since the epoch.</param>
    /// <param name="scopes">The certificate's scopes.</param>
    /// <exception cref="ArgumentException">
    /// A scope is not printable ASCII, the client id or issuer is not a valid client id, or the seed
    /// holds a character outside printable ASCII: any newline would let the same signature cover
    /// another certificate.
    /// </exception>
    public static string Sign(string issuerAccessToken, string? clientId, string? issuer, string seed, long start, long expiry, IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(issuerAccessToken);
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(scopes);
        var scopeList = scopes as IReadOnlyCollection<string> ?? scopes.ToArray();
        TaskclusterIdentifiers.EnsureValidScopes(scopeList, nameof(scopes));
        if (!TaskclusterIdentifiers.IsValidScope(seed))
        {
            throw new ArgumentException("The seed must be printable ASCII.", nameof(seed));
        }

        var lines = new List<string> { "version:1" };
        if (issuer is not null)
        {
            TaskclusterIdentifiers.EnsureValidClientId(clientId, nameof(clientId));
            TaskclusterIdentifiers.EnsureValidClientId(issuer, nameof(issuer));
            lines.Add("clientId:" + clientId);
            lines.Add("issuer:" + issuer);
        }

        lines.Add("seed:" + seed);
        lines.Add("start:" + start.ToString(System.Globalization.CultureInfo.InvariantCulture));
        lines.Add("expiry:" + expiry.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The server joins "scopes:" and the scopes with "\n": with no scopes the text ends in
        // "scopes:" (the JS client's "scopes:\n" differs there).
        lines.Add("scopes:");
        lines.AddRange(scopeList);
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(issuerAccessToken), Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    /// <summary>The temporary access token: unpadded base64url of HMAC-SHA256(issuer access token, seed).</summary>
    public static string DeriveAccessToken(string issuerAccessToken, string seed)
    {
        ArgumentNullException.ThrowIfNull(issuerAccessToken);
        ArgumentNullException.ThrowIfNull(seed);
        return System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(issuerAccessToken), Encoding.UTF8.GetBytes(seed)));
    }

    internal static JToken ParseJson(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        var token = JToken.ReadFrom(reader);
        if (reader.Read())
        {
            throw new JsonReaderException("Additional text after the JSON value.");
        }

        return token;
    }

    private DateTimeOffset? Milliseconds(string key) =>
        Json[key] is JValue { Type: JTokenType.Integer or JTokenType.Float } value
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)value)
            : null;
}
