namespace TcWorker.Taskcluster;

/// <summary>
/// Builds Taskcluster API URLs. Every <see cref="Uri"/> is created with path and query
/// canonicalization disabled, so the path that is signed is exactly the path that goes on the
/// wire (a default <see cref="Uri"/> would turn <c>%41</c> into <c>A</c> and collapse
/// <c>/./</c> and <c>/../</c> segments).
/// </summary>
public static class TaskclusterUrl
{
    private static readonly UriCreationOptions RawOptions = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>An absolute URI whose path and query are kept exactly as written.</summary>
    /// <exception cref="UriFormatException">The text is not an absolute URI.</exception>
    public static Uri Create(string absoluteUri) => new(absoluteUri, in RawOptions);

    /// <summary><c>&lt;rootUrl&gt;/api/&lt;service&gt;/v1&lt;path&gt;</c>; <paramref name="path"/> starts with <c>/</c> and is already escaped.</summary>
    public static Uri Api(string rootUrl, string service, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootUrl);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException("The path must start with '/'.", nameof(path));
        }

        return Create(rootUrl.TrimEnd('/') + "/api/" + service + "/v1" + path);
    }

    /// <summary>
    /// Escapes one route parameter, <c>/</c> included, with <see cref="Uri.EscapeDataString(string)"/>
    /// semantics (everything but <c>A-Z a-z 0-9 - . _ ~</c> is percent-encoded as UTF-8).
    /// </summary>
    public static string Escape(string routeParameter)
    {
        ArgumentNullException.ThrowIfNull(routeParameter);
        return Uri.EscapeDataString(routeParameter);
    }
}
