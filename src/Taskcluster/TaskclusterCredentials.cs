using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>
/// Taskcluster credentials: a client id and access token, with the certificate of temporary
/// credentials and an optional authorizedScopes restriction. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> never shows the access token or the certificate. The JSON form
/// (<c>{clientId, accessToken, certificate}</c>) is the one the queue and worker-manager return,
/// so it does carry the secret.
/// </remarks>
public sealed class TaskclusterCredentials
{
    /// <summary>Longest lifetime the auth service accepts for temporary credentials.</summary>
    public static readonly TimeSpan MaxTemporaryLifetime = TimeSpan.FromDays(31);

    private string? hawkExt;

    /// <summary>Creates credentials.</summary>
    /// <param name="clientId">The client id (for temporary credentials: the issuer's id, or the name of named ones).</param>
    /// <param name="accessToken">The access token (for temporary credentials: the derived token).</param>
    /// <param name="certificate">The certificate of temporary credentials as a JSON string, or null/empty for permanent ones.</param>
    /// <param name="authorizedScopes">Restricts the request to these scopes; null means no restriction.</param>
    /// <exception cref="ArgumentException">The client id or access token is empty, the certificate is not a JSON object, or an authorized scope is not printable ASCII.</exception>
    [JsonConstructor]
    public TaskclusterCredentials(string clientId, string accessToken, string? certificate = null, IReadOnlyList<string>? authorizedScopes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ClientId = clientId;
        AccessToken = accessToken;
        Certificate = string.IsNullOrEmpty(certificate) ? null : certificate;
        if (Certificate is not null)
        {
            _ = TemporaryCertificate.Parse(Certificate);
        }

        AuthorizedScopes = authorizedScopes?.ToArray();
        if (AuthorizedScopes is not null)
        {
            TaskclusterIdentifiers.EnsureValidScopes(AuthorizedScopes, nameof(authorizedScopes));
        }
    }

    /// <summary>The client id.</summary>
    [JsonProperty("clientId")]
    public string ClientId { get; }

    /// <summary>The access token (a secret).</summary>
    [JsonProperty("accessToken")]
    public string AccessToken { get; }

    /// <summary>The certificate of temporary credentials as the JSON string Taskcluster hands out, or null.</summary>
    [JsonProperty("certificate", NullValueHandling = NullValueHandling.Ignore)]
    public string? Certificate { get; }

    /// <summary>The scopes requests are restricted to, or null for all of the credentials' scopes.</summary>
    [JsonIgnore]
    public IReadOnlyList<string>? AuthorizedScopes { get; }

    /// <summary>
    /// The Hawk <c>ext</c> of these credentials (<see cref="Hawk.TaskclusterExt.Create"/>), built on
    /// first use: parsing the certificate for every signed request costs more than the signing.
    /// A race builds it twice with the same result.
    /// </summary>
    internal string? HawkExt => hawkExt ??= Hawk.TaskclusterExt.Build(this);

    /// <summary>True for temporary credentials (those with a certificate).</summary>
    [JsonIgnore]
    public bool IsTemporary => Certificate is not null;

    /// <summary>
    /// Reads <c>TASKCLUSTER_CLIENT_ID</c>, <c>TASKCLUSTER_ACCESS_TOKEN</c> and the optional
    /// <c>TASKCLUSTER_CERTIFICATE</c>. Returns null when the client id or access token is unset.
    /// </summary>
    /// <param name="getVariable">Reads one variable; defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    public static TaskclusterCredentials? FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var clientId = getVariable("TASKCLUSTER_CLIENT_ID");
        var accessToken = getVariable("TASKCLUSTER_ACCESS_TOKEN");
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(accessToken))
        {
            return null;
        }

        return new TaskclusterCredentials(clientId, accessToken, getVariable("TASKCLUSTER_CERTIFICATE"));
    }

    /// <summary>Returns a copy restricted to <paramref name="scopes"/> (null lifts the restriction).</summary>
    /// <exception cref="ArgumentException">A scope is not printable ASCII.</exception>
    public TaskclusterCredentials WithAuthorizedScopes(IReadOnlyList<string>? scopes) =>
        new(ClientId, AccessToken, Certificate, scopes);

    /// <summary>
    /// Creates temporary credentials from these permanent ones, valid from five minutes ago for
    /// <paramref name="lifetime"/>, with a random seed. Named when <paramref name="name"/> is given
    /// (the issuer then needs <c>auth:create-client:&lt;name&gt;</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">These credentials are themselves temporary.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is not positive or exceeds 31 days.</exception>
    public TaskclusterCredentials CreateTemporary(IEnumerable<string> scopes, TimeSpan lifetime, string? name = null, TimeProvider? timeProvider = null)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        if (lifetime <= TimeSpan.Zero || lifetime > MaxTemporaryLifetime - TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "Temporary credentials must last more than zero and at most 31 days (including 5 minutes of clock skew).");
        }

        return CreateTemporary(scopes, now - TimeSpan.FromMinutes(5), now + lifetime, name);
    }

    /// <summary>
    /// Creates temporary credentials exactly as the auth service checks them: the certificate
    /// signature over <c>version:1</c>, <c>clientId:</c>/<c>issuer:</c> (named only),
    /// <c>seed:</c>, <c>start:</c>, <c>expiry:</c>, <c>scopes:</c> and each scope, joined with
    /// newlines; the access token is the unpadded base64url HMAC-SHA256 of the seed.
    /// </summary>
    /// <param name="scopes">The scopes of the temporary credentials; each must be satisfied by the issuer's scopes.</param>
    /// <param name="start">Start of validity (millisecond precision is kept).</param>
    /// <param name="expiry">End of validity; at most 31 days after <paramref name="start"/>.</param>
    /// <param name="name">The client id of named credentials, or null for unnamed ones.</param>
    /// <param name="seed">The 44-character seed; null for a new random one (two slugids, as the official clients make it).</param>
    /// <exception cref="InvalidOperationException">These credentials are themselves temporary.</exception>
    /// <exception cref="ArgumentException">
    /// A scope is not printable ASCII, or the name or the issuer's client id does not match the
    /// client id pattern (a newline in any of them would let the signature cover other scopes).
    /// </exception>
    public TaskclusterCredentials CreateTemporary(IEnumerable<string> scopes, DateTimeOffset start, DateTimeOffset expiry, string? name = null, string? seed = null)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        seed ??= NewSeed();
        if (seed.Length != 44)
        {
            throw new ArgumentException("The seed must be 44 characters long.", nameof(seed));
        }

        if (IsTemporary)
        {
            throw new InvalidOperationException("Temporary credentials cannot issue other temporary credentials.");
        }

        if (expiry < start || expiry - start > MaxTemporaryLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(expiry), expiry, "Expiry must follow start by at most 31 days.");
        }

        if (name is not null && name == ClientId)
        {
            throw new ArgumentException("Named temporary credentials need a name other than the issuer's client id.", nameof(name));
        }

        if (name is not null)
        {
            TaskclusterIdentifiers.EnsureValidClientId(name, nameof(name));
        }

        var scopeList = scopes.ToArray();
        TaskclusterIdentifiers.EnsureValidScopes(scopeList, nameof(scopes));
        var startMs = start.ToUnixTimeMilliseconds();
        var expiryMs = expiry.ToUnixTimeMilliseconds();
        var signature = TemporaryCertificate.Sign(AccessToken, name is null ? null : name, name is null ? null : ClientId, seed, startMs, expiryMs, scopeList);

        var certificate = new JObject
        {
            ["version"] = 1,
            ["scopes"] = new JArray(scopeList),
            ["start"] = startMs,
            ["expiry"] = expiryMs,
            ["seed"] = seed,
            ["signature"] = signature,
        };
        if (name is not null)
        {
            certificate["issuer"] = ClientId;
        }

        return new TaskclusterCredentials(
            name ?? ClientId,
            TemporaryCertificate.DeriveAccessToken(AccessToken, seed),
            certificate.ToString(Formatting.None),
            AuthorizedScopes);
    }

    /// <summary>Shows the client id and whether the credentials are temporary or restricted, never a secret.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("TaskclusterCredentials { ClientId = ").Append(ClientId);
        if (IsTemporary)
        {
            text.Append(", Temporary");
        }

        if (AuthorizedScopes is not null)
        {
            text.Append(", AuthorizedScopes = [").AppendJoin(", ", AuthorizedScopes).Append(']');
        }

        return text.Append(" }").ToString();
    }

    /// <summary>A 44-character seed as the official clients make it: two slugids.</summary>
    internal static string NewSeed() => Slug() + Slug();

    private static string Slug()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }
}
