using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using TcWorker.LogViewer;

namespace TcWorker.LocalQueue.Ui;

/// <summary>
/// The dashboard's static files: the page at <c>/</c> and its modules under <c>/ui/</c> (with the
/// shared log viewer's), embedded in the assembly. They carry no data: every call the page makes
/// goes to the API, Hawk-signed in the browser, so serving them needs no credentials.
/// </summary>
internal sealed partial class Dashboard
{
    /// <summary>Where the dashboard's files are served below the root.</summary>
    public const string Prefix = "/ui/";

    private const string Resources = "dashboard/";

    private readonly EmbeddedFiles files = new(typeof(Dashboard).Assembly, Resources);

    // The page loads only its own files and its own script, which is allowed by its hash (never any
    // other inline script); the live log is fetched from the worker's own server, and viewed images
    // are blob: URLs made from fetched bytes.
    private readonly string contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' http: https:; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; " +
        $"script-src 'self'{PageScriptSources(typeof(Dashboard).Assembly, Resources + "index.html")}; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        var path = context.Request.Path.Value ?? "/";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        var name = path == "/" ? "index.html" : path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : null;
        if (name is not null && (await files.TryServeAsync(context, name).ConfigureAwait(false) || await LogViewerAssets.Files.TryServeAsync(context, name).ConfigureAwait(false)))
        {
            return;
        }

        response.StatusCode = StatusCodes.Status404NotFound;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync($"No such page: {path}. The dashboard is at /, the API under /api/.", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The policy's sources for the page's inline scripts: <c> 'sha256-…'</c> of each, as the browser
    /// hashes it (the UTF-8 text between the tags). At build time the task list's bundle is written into
    /// the page as one such script (Editor/build-dashboard.mjs).
    /// </summary>
    internal static string PageScriptSources(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"the dashboard's page {resource} is not embedded in {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var sources = new StringBuilder();
        foreach (Match script in InlineScript().Matches(reader.ReadToEnd()))
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(script.Groups["code"].Value));
            sources.Append(" 'sha256-").Append(Convert.ToBase64String(hash)).Append('\'');
        }

        return sources.ToString();
    }

    // A script element without a src attribute, and its text (which the build checks holds no "</script").
    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>(?<code>.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InlineScript();
}
