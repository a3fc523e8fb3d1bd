using System.Globalization;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>What <see cref="HawkVerifier"/> needs to know about an incoming request.</summary>
public sealed record HawkRequest
{
    /// <summary>The HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The raw path and query exactly as sent (ASP.NET Core: the <c>IHttpRequestFeature.RawTarget</c>).</summary>
    public required string Resource { get; init; }

    /// <summary>The host the client addressed (from the Host header, without the port).</summary>
    public required string Host { get; init; }

    /// <summary>The port the client addressed (see <see cref="ResolvePort"/> behind a proxy).</summary>
    public required int Port { get; init; }

    /// <summary>The Authorization header, or null.</summary>
    public string? Authorization { get; init; }

    /// <summary>The Content-Type header, used to check a payload hash.</summary>
    public string? ContentType { get; init; }

    /// <summary>The request body, used to check a payload hash when the header carries one; empty when there is none.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>
    /// When true, a payload hash in the header is not compared with <see cref="Payload"/>: only the
    /// header is verified (its MAC covers the hash), and the caller compares the body it reads
    /// afterwards with <see cref="HawkVerificationResult.PayloadMatches"/>. A server uses this to
    /// refuse unauthenticated callers before it reads their body. False by default.
    /// </summary>
    public bool DeferPayloadHash { get; init; }

    /// <summary>Method, resource, host and port; never the Authorization header (replayable for 15 minutes) or the body.</summary>
    public override string ToString() => $"{Method} {Resource} (host {Host}, port {Port.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>
    /// The port Taskcluster signs against: <c>X-Forwarded-Port</c> when present, else 443 when
    /// <c>X-Forwarded-Proto</c> is <c>https</c>, else the local port.
    /// </summary>
    public static int ResolvePort(int localPort, string? forwardedPort, string? forwardedProto)
    {
        if (!string.IsNullOrEmpty(forwardedPort) && int.TryParse(forwardedPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return port;
        }

        return string.Equals(forwardedProto, "https", StringComparison.OrdinalIgnoreCase) ? 443 : localPort;
    }
}
