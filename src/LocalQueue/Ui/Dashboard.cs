using Microsoft.AspNetCore.Http;
using TcWorker.LogViewer;

namespace TcWorker.LocalQueue.Ui;

/// <summary>
/// The dashboard's static files: the page at <c>/</c> and its modules under <c>/ui/</c> (with the
/// shared log viewer's), embedded in the assembly. They carry no data: every call the page makes
/// goes to the API, Hawk-signed in the browser, so serving them needs no credentials.
/// </summary>
internal sealed class Dashboard
{
    /// <summary>Where the dashboard's files are served below the root.</summary>
    public const string Prefix = "/ui/";

    // The page loads only its own files; the live log is fetched from the worker's own server, and
    // viewed images are blob: URLs made from fetched bytes.
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' http: https:; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; " +
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private readonly EmbeddedFiles files = new(typeof(Dashboard).Assembly, "dashboard/");

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

        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        var name = path == "/" ? "index.html" : path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : null;
        if (name is not null && (await files.TryServeAsync(context, name).ConfigureAwait(false) || await LogViewerAssets.Files.TryServeAsync(context, name).ConfigureAwait(false)))
        {
            return;
        }

        response.StatusCode = StatusCodes.Status404NotFound;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync($"No such page: {path}. The dashboard is at /, the API under /api/.", context.RequestAborted).ConfigureAwait(false);
    }
}
