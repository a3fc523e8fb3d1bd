using System.Text.RegularExpressions;
using TcWorker.Taskcluster;

namespace TcWorker.Plugins.TaskclusterProxy;

/// <summary>
/// Where a request to the proxy goes: the URL shapes of the official taskcluster-proxy, mapped onto the
/// deployment's root URL. Pure functions; thread-safe.
/// </summary>
internal static partial class ProxyRoutes
{
    /// <summary>The root URL of the retired taskcluster.net deployment, whose services had hosts of their own.</summary>
    private const string LegacyRootUrl = "https://taskcluster.net";

    /// <summary>The services of a Taskcluster deployment whose APIs are signed with Hawk.</summary>
    public static readonly IReadOnlySet<string> Services = new HashSet<string>(StringComparer.Ordinal)
    {
        "auth", "github", "hooks", "index", "notify", "object", "purge-cache", "queue", "secrets", "worker-manager",
    };

    /// <summary>
    /// The target of <c>/api/&lt;service&gt;/&lt;version&gt;/&lt;path&gt;</c> or the older
    /// <c>/&lt;service&gt;/&lt;version&gt;/&lt;path&gt;</c>, or why there is none.
    /// </summary>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="rawPath">The path as the task sent it (still escaped), starting with <c>/</c>.</param>
    /// <param name="rawQuery">The query as the task sent it, with its <c>?</c>, or empty.</param>
    /// <param name="target">The URL to call.</param>
    /// <param name="problem">Why the path leads nowhere, for the task.</param>
    /// <returns>Whether there is a target.</returns>
    public static bool TryMap(string rootUrl, string rawPath, string rawQuery, out Uri? target, out string? problem)
    {
        target = null;
        string service, version, rest;
        if (rawPath.StartsWith("/api", StringComparison.Ordinal))
        {
            var match = ApiPath().Match(rawPath);
            if (!match.Success)
            {
                problem = "invalid /api path: use /api/<service>/<version>/<path>";
                return false;
            }

            (service, version, rest) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
        }
        else
        {
            var parts = rawPath.TrimStart('/').Split('/', 3);
            service = parts[0];
            version = parts.Length > 1 ? parts[1] : string.Empty;
            rest = parts.Length > 2 ? parts[2] : string.Empty;
            if (service.Contains('.', StringComparison.Ordinal))
            {
                problem = $"'{service}' is a host name: this proxy calls only the services of {rootUrl}, never another host with the task's credentials";
                return false;
            }
        }

        if (!Services.Contains(service))
        {
            problem = $"Unknown taskcluster service: '{service}' (known: {string.Join(", ", Services.Order(StringComparer.Ordinal))})";
            return false;
        }

        target = TaskclusterUrl.Create(Api(rootUrl, service, version, rest) + rawQuery);
        problem = null;
        return true;
    }

    /// <summary>taskcluster-lib-urls' <c>api(rootUrl, service, version, path)</c>.</summary>
    private static string Api(string rootUrl, string service, string version, string path)
    {
        var root = rootUrl.TrimEnd('/');
        path = path.TrimStart('/');
        return root == LegacyRootUrl
            ? $"https://{service}.taskcluster.net/{version}/{path}"
            : $"{root}/api/{service}/{version}/{path}";
    }

    [GeneratedRegex("^/api/([^/]*)/([^/]*)/(.*)$", RegexOptions.Singleline)]
    private static partial Regex ApiPath();
}
