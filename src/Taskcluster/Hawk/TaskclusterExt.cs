using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>The <c>ext</c> attribute Taskcluster puts in Hawk headers and bewits.</summary>
public static class TaskclusterExt
{
    /// <summary>
    /// Standard base64 (padded) of compact JSON <c>{"certificate": {...}, "authorizedScopes": [...]}</c>,
    /// the certificate as an object; null when the credentials have neither. Computed once per
    /// credentials object (they are immutable), as every signed request and URL carries it.
    /// </summary>
    public static string? Create(TaskclusterCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return credentials.HawkExt;
    }

    /// <summary>Builds the ext of <paramref name="credentials"/>; <see cref="TaskclusterCredentials.HawkExt"/> keeps the result.</summary>
    internal static string? Build(TaskclusterCredentials credentials)
    {
        if (credentials.Certificate is null && credentials.AuthorizedScopes is null)
        {
            return null;
        }

        var ext = new JObject();
        if (credentials.Certificate is not null)
        {
            ext["certificate"] = TemporaryCertificate.ParseJson(credentials.Certificate);
        }

        if (credentials.AuthorizedScopes is not null)
        {
            ext["authorizedScopes"] = new JArray(credentials.AuthorizedScopes);
        }

        return Convert.ToBase64String(Encoding.UTF8.GetBytes(ext.ToString(Formatting.None)));
    }
}
