namespace TcWorker.Plugins.Artifacts;

/// <summary>Content types by file extension, for artifacts that do not state theirs.</summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain; charset=utf-8",
        [".log"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".html"] = "text/html; charset=utf-8",
        [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "application/javascript",
        [".json"] = "application/json",
        [".xml"] = "application/xml",
        [".yml"] = "application/yaml",
        [".yaml"] = "application/yaml",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
        [".gz"] = "application/gzip",
        [".tgz"] = "application/gzip",
        [".tar"] = "application/x-tar",
        [".xz"] = "application/x-xz",
        [".zst"] = "application/zstd",
        [".bz2"] = "application/x-bzip2",
        [".wasm"] = "application/wasm",
    };

    /// <summary>The content type for a file name; <c>application/octet-stream</c> when unknown.</summary>
    public static string FromPath(string path) => ByExtension.TryGetValue(Path.GetExtension(path), out var type) ? type : "application/octet-stream";
}
