using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// <c>/shell/</c>: the page that Taskcluster serves at the same path, so that the interactive plugin's
/// <c>private/generic-worker/shell.html</c> artifact (a redirect to <c>&lt;rootUrl&gt;/shell/?v=2&amp;socketUrl=…</c>)
/// opens a terminal against the local queue as it does against a deployment. Static files embedded at
/// build time; the page connects to the socket named in its query, nothing else.
/// </summary>
internal static class ShellPageEndpoint
{
    public const string Prefix = "/shell";

    private static readonly Dictionary<string, (string ContentType, byte[] Content)> Files = Load();

    public static bool Handles(PathString path) => path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    public static async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var path = http.Request.Path.Value!;
        if (path == Prefix)
        {
            response.Redirect(Prefix + "/" + http.Request.QueryString);
            return;
        }

        var name = path[(Prefix.Length + 1)..];
        if (!Files.TryGetValue(name.Length == 0 ? "index.html" : name, out var file))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.ContentType = file.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src ws: wss:; frame-ancestors 'none'";
        response.ContentLength = file.Content.Length;
        if (HttpMethods.IsGet(http.Request.Method))
        {
            await response.Body.WriteAsync(file.Content, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(ShellPageEndpoint).Assembly;
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("shell/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource["shell/".Length..];
            files[name] = (ContentType(name), copy.ToArray());
        }

        return files;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
}
