using System.IO.Compression;

namespace TcWorker.Taskcluster.Tests;

public sealed class ArtifactEncodingTests
{
    [Theory]
    [InlineData("public/logs/live_backing.log", "text/plain; charset=utf-8")]
    [InlineData("report.txt", "text/plain")]
    [InlineData("data.json", "application/json")]
    [InlineData("data.JSON", "APPLICATION/JSON; charset=utf-8")]
    [InlineData("feed.xml", "application/xml")]
    [InlineData("app.js", "application/javascript")]
    [InlineData("ci.yml", "application/yaml")]
    [InlineData("logo.svg", "image/svg+xml")]
    [InlineData("table.csv", "text/csv; charset=utf-8")]
    [InlineData("build.sh", "application/x-sh")]
    [InlineData("manifest.webmanifest", "application/manifest+json")]
    [InlineData("sources.tar", "application/x-tar")]
    [InlineData("page.html", "text/html; charset=utf-8")]
    public void Text_and_structured_types_are_compressible(string name, string contentType) =>
        Assert.True(ArtifactEncoding.IsCompressible(name, contentType));

    [Theory]
    [InlineData("app.tar.gz", "application/gzip")]
    [InlineData("log.txt.gz", "text/plain")]
    [InlineData("bundle.tgz", "text/plain")]
    [InlineData("a.zip", "application/json")]
    [InlineData("a.xz", "text/plain")]
    [InlineData("a.bz2", "text/plain")]
    [InlineData("a.zst", "text/plain")]
    [InlineData("a.7z", "text/plain")]
    [InlineData("lib.jar", "text/plain")]
    [InlineData("pkg.whl", "text/plain")]
    [InlineData("shot.png", "image/png")]
    [InlineData("photo.JPG", "image/jpeg")]
    [InlineData("anim.gif", "image/gif")]
    [InlineData("pic.webp", "image/webp")]
    [InlineData("clip.mp4", "video/mp4")]
    [InlineData("app.bin", "application/octet-stream")]
    [InlineData("no-extension", "application/octet-stream")]
    [InlineData("doc.pdf", "application/pdf")]
    public void Compressed_extensions_and_binary_types_are_not(string name, string contentType) =>
        Assert.False(ArtifactEncoding.IsCompressible(name, contentType));

    [Theory]
    [InlineData("a.txt", "text/plain", null, "gzip")]
    [InlineData("a.png", "image/png", null, "identity")]
    [InlineData("a.txt", "text/plain", "identity", "identity")]
    [InlineData("a.bin", "application/octet-stream", "gzip", "gzip")]
    [InlineData("a.gz", "application/gzip", "gzip", "gzip")]
    public void A_requested_encoding_wins(string name, string contentType, string? requested, string expected) =>
        Assert.Equal(expected, ArtifactEncoding.Choose(name, contentType, requested));

    [Fact]
    public void Other_encodings_are_refused_with_a_clear_message()
    {
        var error = Assert.Throws<ArgumentException>(() => ArtifactEncoding.Choose("a.txt", "text/plain", "deflate"));
        Assert.Contains("'deflate'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compressing_to_a_temporary_file_round_trips_and_deletes_the_file_on_dispose()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-gzip-test-").FullName;
        try
        {
            var original = new byte[3_000_000];
            new Random(7).NextBytes(original.AsSpan(0, 1000));
            var compressed = await ArtifactEncoding.CompressToTemporaryFileAsync(new MemoryStream(original), folder);
            await using (compressed)
            {
                Assert.Single(Directory.EnumerateFiles(folder));
                Assert.Equal(0, compressed.Position);
                Assert.True(compressed.Length < original.Length / 100, $"{compressed.Length} bytes");
                using var decoded = new MemoryStream();
                await using (var gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true))
                {
                    await gzip.CopyToAsync(decoded);
                }

                Assert.Equal(original, decoded.ToArray());
            }

            Assert.Empty(Directory.EnumerateFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_cancelled_compression_leaves_no_file()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-gzip-test-").FullName;
        try
        {
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ArtifactEncoding.CompressToTemporaryFileAsync(new MemoryStream(new byte[100_000]), folder, cancelled.Token));
            Assert.Empty(Directory.EnumerateFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
