using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>
/// Verifies Hawk-signed requests and bewit URLs the way Taskcluster's auth service does
/// (<c>authenticateHawk</c>): timestamps within ±15 minutes, header at most 4096 characters,
/// temporary-credential certificates, authorizedScopes. There is no nonce replay cache, as in
/// Taskcluster. Thread-safe.
/// </summary>
public sealed partial class HawkVerifier
{
    /// <summary>Longest Authorization header accepted.</summary>
    public const int MaxHeaderLength = 4096;

    private static readonly TimeSpan TimestampSkew = TimeSpan.FromMinutes(15);

    // A client sends the same ext (its certificate) with every request until its credentials
    // change, and parsing it costs more than the rest of the verification: parsed exts are kept
    // by their text (read-only once stored), and the cache is emptied when it grows past its bound.
    private const int MaxCachedExts = 256;
    private readonly ConcurrentDictionary<string, JObject?> parsedExts = new(StringComparer.Ordinal);
    private readonly HawkClientLookup lookup;
    private readonly TimeProvider timeProvider;
    private readonly IReadOnlyList<string> anonymousScopes;

    /// <summary>Creates a verifier.</summary>
    /// <param name="lookup">Finds permanent clients (the issuer of temporary credentials).</param>
    /// <param name="timeProvider">The clock; defaults to the system clock.</param>
    /// <param name="anonymousScopes">The scopes of <c>assume:anonymous</c>, granted to anonymous requests and usable in authorizedScopes; defaults to <c>assume:anonymous</c> alone.</param>
    public HawkVerifier(HawkClientLookup lookup, TimeProvider? timeProvider = null, IReadOnlyList<string>? anonymousScopes = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        this.lookup = lookup;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        this.anonymousScopes = anonymousScopes ?? ["assume:anonymous"];
    }

    /// <summary>Verifies one request. Never throws for bad credentials: it returns a failure with a message.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the client lookup.</param>
    public async Task<HawkVerificationResult> VerifyAsync(HawkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bewit = BewitRegex().Match(request.Resource);
        if (bewit.Success)
        {
            return !string.IsNullOrEmpty(request.Authorization)
                ? HawkVerificationResult.Failure("Multiple authentications")
                : await VerifyBewitAsync(request, bewit, cancellationToken).ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(request.Authorization))
        {
            return HawkVerificationResult.Anonymous(anonymousScopes);
        }

        return await VerifyHeaderAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HawkVerificationResult> VerifyHeaderAsync(HawkRequest request, CancellationToken cancellationToken)
    {
        var header = request.Authorization!;
        if (header.Length > MaxHeaderLength)
        {
            return HawkVerificationResult.Failure("Header length too long");
        }

        if (!HawkHeader.TryParse(header, out var attributes, out var error))
        {
            return HawkVerificationResult.Failure(error);
        }

        if (!attributes.TryGetValue("id", out var id) || !attributes.TryGetValue("ts", out var tsText)
            || !attributes.TryGetValue("nonce", out var nonce) || !attributes.TryGetValue("mac", out var mac))
        {
            return HawkVerificationResult.Failure("Missing attributes");
        }

        attributes.TryGetValue("ext", out var ext);
        attributes.TryGetValue("hash", out var hash);
        var credentials = await ResolveAsync(id, ext, cancellationToken).ConfigureAwait(false);
        if (credentials.Failure is not null)
        {
            return credentials.Failure;
        }

        if (!long.TryParse(tsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts))
        {
            return HawkVerificationResult.Failure("Bad mac");
        }

        var expected = HawkCrypto.Mac(credentials.Key!, HawkCrypto.NormalizedString("header", ts, nonce, request.Method, request.Resource, request.Host, request.Port, hash, ext));
        if (!HawkCrypto.FixedTimeEquals(expected, mac))
        {
            return HawkVerificationResult.Failure("Bad mac");
        }

        if (hash is not null && !request.DeferPayloadHash && !HawkCrypto.FixedTimeEquals(HawkCrypto.PayloadHash(request.ContentType, request.Payload.Span), hash))
        {
            return HawkVerificationResult.Failure("Bad payload hash");
        }

        var now = timeProvider.GetUtcNow();
        if (Math.Abs(now.ToUnixTimeMilliseconds() - (ts * 1000)) > TimestampSkew.TotalMilliseconds)
        {
            return HawkVerificationResult.Failure("Stale timestamp");
        }

        return credentials.Result!.WithPayloadHash(hash);
    }

    private async Task<HawkVerificationResult> VerifyBewitAsync(HawkRequest request, Match bewitMatch, CancellationToken cancellationToken)
    {
        if (request.Method is not ("GET" or "HEAD"))
        {
            return HawkVerificationResult.Failure("Invalid method");
        }

        var encoded = bewitMatch.Groups[3].Value;
        if (encoded.Length == 0)
        {
            return HawkVerificationResult.Failure("Empty bewit");
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(encoded));
        }
        catch (FormatException)
        {
            return HawkVerificationResult.Failure("Invalid bewit encoding");
        }

        var parts = decoded.Split('\\');
        if (parts.Length != 4 || parts[0].Length == 0 || parts[2].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var exp))
        {
            return HawkVerificationResult.Failure("Invalid bewit structure");
        }

        if (exp * 1000 <= timeProvider.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return HawkVerificationResult.Failure("Access expired");
        }

        var ext = parts[3].Length == 0 ? null : parts[3];
        var credentials = await ResolveAsync(parts[0], ext, cancellationToken).ConfigureAwait(false);
        if (credentials.Failure is not null)
        {
            return credentials.Failure;
        }

        var resource = bewitMatch.Groups[1].Value + (bewitMatch.Groups[4].Success ? bewitMatch.Groups[2].Value + bewitMatch.Groups[4].Value : string.Empty);
        var expected = HawkCrypto.Mac(credentials.Key!, HawkCrypto.NormalizedString("bewit", exp, string.Empty, "GET", resource, request.Host, request.Port, null, ext));
        return HawkCrypto.FixedTimeEquals(expected, parts[2]) ? credentials.Result! : HawkVerificationResult.Failure("Bad mac");
    }

    /// <summary>Finds the signing key and the effective scopes for a client id and ext, as the auth service does.</summary>
    private async Task<ResolvedCredentials> ResolveAsync(string clientId, string? extText, CancellationToken cancellationToken)
    {
        if (!TaskclusterIdentifiers.IsValidClientId(clientId))
        {
            return ResolvedCredentials.Fail("Invalid clientId: client ids match ^[A-Za-z0-9!@/:.+|_-]+$");
        }

        JObject? ext = null;
        if (!string.IsNullOrEmpty(extText))
        {
            ext = ParseExt(extText);
            if (ext is null)
            {
                return ResolvedCredentials.Fail("Failed to parse ext");
            }
        }

        var certificate = ext?["certificate"];
        var issuer = clientId;
        if (certificate is JObject cert && cert["issuer"] is { } issuerToken && issuerToken.Type != JTokenType.Null)
        {
            if (issuerToken.Type != JTokenType.String)
            {
                return ResolvedCredentials.Fail("ext.certificate.issuer must be a string");
            }

            issuer = (string)issuerToken!;
            if (issuer == clientId)
            {
                return ResolvedCredentials.Fail("ext.certificate.issuer must differ from the supplied clientId");
            }
        }

        var client = await lookup(issuer, cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        if (client is null)
        {
            return ResolvedCredentials.Fail($"Client `{issuer}` not found");
        }

        if (client.Expires is { } clientExpires && clientExpires < now)
        {
            return ResolvedCredentials.Fail($"Client `{issuer}` has expired");
        }

        var key = client.AccessToken;
        IReadOnlyList<string> scopes = client.Scopes;
        var expires = client.Expires;
        if (certificate is not null && certificate.Type != JTokenType.Null)
        {
            var checkedCertificate = CertificateCheck.Check(certificate, clientId, issuer, client, now);
            if (checkedCertificate.Error is not null)
            {
                return ResolvedCredentials.Fail(checkedCertificate.Error);
            }

            key = checkedCertificate.AccessToken!;
            scopes = checkedCertificate.Scopes!;
            expires = checkedCertificate.Expiry;
        }

        if (ext?["authorizedScopes"] is { } authorizedToken && authorizedToken.Type != JTokenType.Null)
        {
            if (authorizedToken is not JArray authorized || authorized.Any(s => s.Type != JTokenType.String || !ScopeSatisfaction.IsValidScope((string)s!)))
            {
                return ResolvedCredentials.Fail("ext.authorizedScopes must be an array of valid scopes");
            }

            var requested = authorized.Select(s => (string)s!).ToArray();
            if (!ScopeSatisfaction.SatisfiesAll(scopes.Concat(anonymousScopes), requested))
            {
                return ResolvedCredentials.Fail($"Supplied credentials do not satisfy authorizedScopes; credentials have scopes: [{string.Join(", ", scopes)}]; authorizedScopes: [{string.Join(", ", requested)}]");
            }

            scopes = requested;
        }

        return new ResolvedCredentials(key, HawkVerificationResult.Success(clientId, scopes, expires), null);
    }

    /// <summary>The ext as a JSON object, or null when it is not base64 of one; cached by its text.</summary>
    private JObject? ParseExt(string extText)
    {
        if (parsedExts.TryGetValue(extText, out var cached))
        {
            return cached;
        }

        JObject? ext = null;
        try
        {
            ext = TemporaryCertificate.ParseJson(Encoding.UTF8.GetString(Convert.FromBase64String(extText))) as JObject;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        if (parsedExts.Count >= MaxCachedExts)
        {
            parsedExts.Clear();
        }

        parsedExts[extText] = ext;
        return ext;
    }

    // mozilla/hawk's bewit regex: path, separator, bewit, and the rest of the query.
    [GeneratedRegex(@"^(/.*)([\?&])bewit=([^&$]*)(?:&(.+))?$", RegexOptions.ECMAScript)]
    private static partial Regex BewitRegex();

    private sealed record ResolvedCredentials(string? Key, HawkVerificationResult? Result, HawkVerificationResult? Failure)
    {
        public static ResolvedCredentials Fail(string message) => new(null, null, HawkVerificationResult.Failure(message));
    }
}
