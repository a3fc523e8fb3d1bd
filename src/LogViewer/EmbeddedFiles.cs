using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace TcWorker.LogViewer;

/// <summary>
/// Static files embedded in an assembly, served by name with their content type, <c>nosniff</c>,
/// <c>no-cache</c> and an <c>ETag</c> (a digest of the bytes): a browser revalidates each file on every
/// load and gets <c>304 Not Modified</c>, without the body, while it is unchanged. The files are read
/// once, when constructed. Thread-safe.
/// </summary>
public sealed class EmbeddedFiles
{
    private readonly Dictionary<string, (string ContentType, byte[] Bytes, string ETag)> files;

    /// <summary>Reads the manifest resources of <paramref name="assembly"/> whose names start with <paramref name="prefix"/>; each is served by its name without the prefix.</summary>
    /// <param name="assembly">The assembly holding the files.</param>
    /// <param name="prefix">The resource name prefix, e.g. <c>dashboard/</c>; empty for every resource.</param>
    public EmbeddedFiles(Assembly assembly, string prefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(prefix);
        files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => (Name: n[prefix.Length..], ContentType: ContentTypeOf(n), Bytes: Read(assembly, n)))
            .ToDictionary(f => f.Name, f => (f.ContentType, f.Bytes, ETagOf(f.Bytes)), StringComparer.Ordinal);
    }

    /// <summary>The names <see cref="TryServeAsync"/> answers.</summary>
    public IReadOnlyCollection<string> Names => files.Keys;

    /// <summary>Writes the named file as the response (headers only for HEAD); nothing for an unknown name.</summary>
    /// <param name="context">The request; GET or HEAD is assumed.</param>
    /// <param name="name">A file name, e.g. <c>log-viewer.js</c>.</param>
    /// <returns>False when no file has that name.</returns>
    /// <exception cref="OperationCanceledException">The client went away.</exception>
    public async Task<bool> TryServeAsync(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!files.TryGetValue(name, out var file))
        {
            return false;
        }

        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = file.ETag;
        if (context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag == file.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        response.ContentType = file.ContentType;
        response.ContentLength = file.Bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(file.Bytes, context.RequestAborted).ConfigureAwait(false);
        }

        return true;
    }

    private static string ETagOf(byte[] bytes) => "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes).AsSpan(0, 16)) + "\"";

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };
}
