using System.IO.Compression;

namespace TcWorker.Taskcluster;

/// <summary>
/// The Content-Encoding artifacts are stored with: <c>gzip</c> for compressible content where the
/// storage type allows it (legacy <c>s3</c> artifacts, an operator's own bucket), <c>identity</c>
/// otherwise. The object service only takes <c>identity</c>. Thread-safe.
/// </summary>
public static class ArtifactEncoding
{
    /// <summary>Stored as is.</summary>
    public const string Identity = "identity";

    /// <summary>Stored gzip-compressed; readers get the original bytes back by decoding.</summary>
    public const string Gzip = "gzip";

    private static readonly HashSet<string> CompressedExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        // archives and compressed streams
        ".7z", ".br", ".bz2", ".gz", ".lz", ".lz4", ".lzma", ".rar", ".tbz", ".tbz2", ".tgz", ".txz", ".tzst", ".xz", ".z", ".zip", ".zst",
        // packages that are zip or compressed archives inside
        ".aab", ".apk", ".appx", ".crx", ".deb", ".dmg", ".ear", ".egg", ".epub", ".ipa", ".jar", ".msi", ".msix", ".nupkg", ".pkg", ".rpm", ".snupkg", ".vsix", ".war", ".whl", ".xpi",
        // office documents (zip containers)
        ".docx", ".odp", ".ods", ".odt", ".pptx", ".xlsx",
        // images, audio, video and fonts that are compressed already
        ".avif", ".flac", ".flv", ".gif", ".heic", ".jpeg", ".jpg", ".m4a", ".mkv", ".mov", ".mp3", ".mp4", ".ogg", ".opus", ".png", ".swf", ".webm", ".webp", ".woff", ".woff2",
        // binary formats that gain little
        ".npz", ".wasm",
    };

    private static readonly HashSet<string> CompressibleTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/ecmascript", "application/graphql", "application/javascript", "application/json", "application/postscript",
        "application/rtf", "application/sql", "application/toml", "application/typescript", "application/x-httpd-php",
        "application/x-javascript", "application/x-ndjson", "application/x-perl", "application/x-python", "application/x-sh",
        "application/x-shellscript", "application/x-tar", "application/x-tex", "application/x-yaml", "application/xml", "application/yaml",
        "font/otf", "font/ttf", "image/bmp", "image/x-icon",
    };

    /// <summary>
    /// Whether content is worth gzip-compressing: text (<c>text/*</c>), JSON, XML, JavaScript, YAML,
    /// SVG, shell scripts, tar and similar types, unless the name's extension marks it as compressed
    /// already (gz, tgz, zip, xz, bz2, zst, 7z, jar, whl, png, jpg, gif, webp, mp4, ...). Anything
    /// else, <c>application/octet-stream</c> included, is not.
    /// </summary>
    /// <param name="name">The artifact name or file path; only its extension is looked at.</param>
    /// <param name="contentType">The content type, parameters allowed (<c>text/plain; charset=utf-8</c>).</param>
    /// <returns><see langword="true"/> when the content should be stored gzip-encoded where allowed.</returns>
    public static bool IsCompressible(string name, string contentType)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(contentType);
        if (CompressedExtensions.Contains(Path.GetExtension(name)))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+yaml", StringComparison.OrdinalIgnoreCase)
            || CompressibleTypes.Contains(mediaType);
    }

    /// <summary>The encoding to store content with where gzip is allowed: the requested one, else by <see cref="IsCompressible"/>.</summary>
    /// <param name="name">The artifact name or file path.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="requested"><see cref="Identity"/>, <see cref="Gzip"/>, or <see langword="null"/> to decide from the name and type.</param>
    /// <returns><see cref="Identity"/> or <see cref="Gzip"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="requested"/> is another value.</exception>
    public static string Choose(string name, string contentType, string? requested) => requested switch
    {
        null => IsCompressible(name, contentType) ? Gzip : Identity,
        Identity or Gzip => requested,
        _ => throw new ArgumentException($"Unknown content encoding '{requested}'; use '{Identity}' or '{Gzip}'.", nameof(requested)),
    };

    /// <summary>
    /// Compresses content into a new temporary file and returns it open for reading at its start.
    /// Memory stays flat whatever the size; the file is deleted when the stream is disposed (the
    /// caller disposes it). Seek back to 0 to read the same bytes again.
    /// </summary>
    /// <param name="content">The content, read from its current position to its end; not disposed.</param>
    /// <param name="folder">Where the file goes; <see cref="Path.GetTempPath"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the compression; the file is deleted.</param>
    /// <returns>A seekable stream over the gzip bytes, at position 0.</returns>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static async Task<Stream> CompressToTemporaryFileAsync(Stream content, string? folder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = Path.Combine(folder ?? Path.GetTempPath(), $"tcw-gzip-{Guid.NewGuid():N}.gz");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                await content.CopyToAsync(gzip, 81920, cancellationToken).ConfigureAwait(false);
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
