namespace TcWorker.Taskcluster.Hawk;

/// <summary>How a request authenticated.</summary>
public enum HawkVerificationStatus
{
    /// <summary>Valid Hawk header or bewit.</summary>
    Authenticated,

    /// <summary>No Authorization header and no bewit: the request is anonymous.</summary>
    NoAuthentication,

    /// <summary>The credentials were present but invalid.</summary>
    Failed,
}

/// <summary>The outcome of <see cref="HawkVerifier.VerifyAsync"/>.</summary>
public sealed class HawkVerificationResult
{
    private HawkVerificationResult(HawkVerificationStatus status, string? clientId, IReadOnlyList<string> scopes, DateTimeOffset? expires, string? message)
    {
        Status = status;
        ClientId = clientId;
        Scopes = scopes;
        Expires = expires;
        Message = message;
    }

    /// <summary>The status.</summary>
    public HawkVerificationStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is <see cref="HawkVerificationStatus.Authenticated"/>.</summary>
    public bool IsAuthenticated => Status == HawkVerificationStatus.Authenticated;

    /// <summary>The authenticated client id (for named temporary credentials, the name), or null.</summary>
    public string? ClientId { get; }

    /// <summary>
    /// The effective scopes: the client's (or the certificate's), replaced by authorizedScopes
    /// when given; for anonymous requests the anonymous scopes; empty on failure.
    /// </summary>
    public IReadOnlyList<string> Scopes { get; }

    /// <summary>When the credentials expire (certificate expiry or the client's), if known.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>Why verification failed, in the words of the auth service; null on success.</summary>
    public string? Message { get; }

    /// <summary>
    /// The payload hash the Authorization header carried (covered by its MAC), as the auth
    /// service's authenticateHawk returns it; null when none was sent.
    /// </summary>
    public string? PayloadHash { get; private init; }

    /// <summary>True when no payload hash was sent, or when it is the hash of this body with this content type.</summary>
    /// <param name="contentType">The request's Content-Type header.</param>
    /// <param name="payload">The request body.</param>
    public bool PayloadMatches(string? contentType, ReadOnlySpan<byte> payload) =>
        PayloadHash is null || HawkCrypto.FixedTimeEquals(HawkCrypto.PayloadHash(contentType, payload), PayloadHash);

    internal static HawkVerificationResult Success(string clientId, IReadOnlyList<string> scopes, DateTimeOffset? expires) =>
        new(HawkVerificationStatus.Authenticated, clientId, scopes, expires, null);

    internal HawkVerificationResult WithPayloadHash(string? hash) =>
        hash is null ? this : new(Status, ClientId, Scopes, Expires, Message) { PayloadHash = hash };

    internal static HawkVerificationResult Anonymous(IReadOnlyList<string> scopes) =>
        new(HawkVerificationStatus.NoAuthentication, null, scopes, null, null);

    internal static HawkVerificationResult Failure(string message) =>
        new(HawkVerificationStatus.Failed, null, [], null, message);
}

/// <summary>A client as the verifier's lookup returns it.</summary>
/// <param name="AccessToken">The client's access token.</param>
/// <param name="Scopes">The client's scopes, roles already expanded.</param>
/// <param name="Expires">When the client expires, or null.</param>
public sealed record HawkClient(string AccessToken, IReadOnlyList<string> Scopes, DateTimeOffset? Expires = null);

/// <summary>Finds a permanent client by id; null when it does not exist (or is disabled).</summary>
public delegate ValueTask<HawkClient?> HawkClientLookup(string clientId, CancellationToken cancellationToken);
