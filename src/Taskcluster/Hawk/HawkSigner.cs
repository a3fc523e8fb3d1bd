using System.Globalization;
using System.Text;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>Signs requests with Hawk the way the Taskcluster clients do. Pure functions; thread-safe.</summary>
public static class HawkSigner
{
    /// <summary>
    /// The <c>Authorization</c> header for a request to <paramref name="uri"/>: MAC over the raw
    /// path and query of the URI (<see cref="Uri.PathAndQuery"/>, which is what HttpClient sends),
    /// its lower-cased host and its port, with Taskcluster's ext.
    /// </summary>
    /// <param name="credentials">The credentials to sign with.</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="uri">The absolute request URI.</param>
    /// <param name="now">The current time.</param>
    /// <param name="payloadHash">An optional payload hash (<see cref="HawkCrypto.PayloadHash"/>); the official clients send none.</param>
    public static string CreateAuthorizationHeader(TaskclusterCredentials credentials, string method, Uri uri, DateTimeOffset now, string? payloadHash = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(uri);
        return CreateAuthorizationHeader(
            credentials.ClientId, credentials.AccessToken, method, uri.PathAndQuery, uri.IdnHost, uri.Port,
            now.ToUnixTimeSeconds(), HawkCrypto.NewNonce(), payloadHash, TaskclusterExt.Create(credentials));
    }

    /// <summary>The header from explicit parts, attributes in mozilla/hawk's order.</summary>
    public static string CreateAuthorizationHeader(string id, string key, string method, string resource, string host, int port, long ts, string nonce, string? hash, string? ext)
    {
        ArgumentNullException.ThrowIfNull(id);
        var mac = HawkCrypto.Mac(key, HawkCrypto.NormalizedString("header", ts, nonce, method, resource, host, port, hash, ext));
        var header = new StringBuilder("Hawk id=\"").Append(HawkHeader.Escape(id))
            .Append("\", ts=\"").Append(ts.ToString(CultureInfo.InvariantCulture))
            .Append("\", nonce=\"").Append(HawkHeader.Escape(nonce)).Append('"');
        if (!string.IsNullOrEmpty(hash))
        {
            header.Append(", hash=\"").Append(HawkHeader.Escape(hash)).Append('"');
        }

        if (!string.IsNullOrEmpty(ext))
        {
            header.Append(", ext=\"").Append(HawkHeader.Escape(ext)).Append('"');
        }

        return header.Append(", mac=\"").Append(mac).Append('"').ToString();
    }

    /// <summary>
    /// A signed URL for GET: <paramref name="uri"/> with a <c>bewit</c> query parameter valid
    /// until <paramref name="expires"/> (whole seconds).
    /// </summary>
    public static Uri CreateBewitUri(TaskclusterCredentials credentials, Uri uri, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(uri);
        var exp = expires.ToUnixTimeSeconds();
        var ext = TaskclusterExt.Create(credentials) ?? string.Empty;
        var mac = HawkCrypto.Mac(credentials.AccessToken, HawkCrypto.NormalizedString("bewit", exp, string.Empty, "GET", uri.PathAndQuery, uri.IdnHost, uri.Port, null, ext));
        var bewit = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{credentials.ClientId}\\{exp.ToString(CultureInfo.InvariantCulture)}\\{mac}\\{ext}"));
        var text = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + uri.PathAndQuery + (uri.Query.Length > 0 ? "&" : "?") + "bewit=" + bewit + uri.Fragment;
        return TaskclusterUrl.Create(text);
    }
}
