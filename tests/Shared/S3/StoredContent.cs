using System.IO.Compression;
using System.Net;
using Xunit;

namespace TcWorker.Tests.Shared;

/// <summary>
/// Fetches an artifact URL twice: once with a client that does not decode (what is stored, with
/// its Content-Encoding) and once with one that decodes gzip, as browsers and curl --compressed do.
/// </summary>
internal static class StoredContent
{
    private static readonly HttpClient Raw = new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None });
    private static readonly HttpClient Decoding = new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.All });

    /// <summary>Asserts that the URL serves <paramref name="original"/> gzip-encoded with <paramref name="contentType"/>, and decoded by a decoding client.</summary>
    public static async Task AssertGzipAsync(Uri url, byte[] original, string contentType)
    {
        var (encoding, type, body) = await FetchRawAsync(url);
        Assert.Equal("gzip", encoding);
        Assert.Equal(contentType, type);
        Assert.True(body is [0x1f, 0x8b, ..], "the stored body is a gzip stream");
        Assert.Equal(original, Gunzip(body));
        Assert.Equal(original, await Decoding.GetByteArrayAsync(url));
    }

    /// <summary>Asserts that the URL serves <paramref name="original"/> exactly, with no encoding other than identity.</summary>
    public static async Task AssertIdentityAsync(Uri url, byte[] original, string contentType)
    {
        var (encoding, type, body) = await FetchRawAsync(url);
        Assert.True(encoding is null or "identity", $"Content-Encoding: {encoding}");
        Assert.Equal(contentType, type);
        Assert.Equal(original, body);
    }

    public static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static async Task<(string? Encoding, string? ContentType, byte[] Body)> FetchRawAsync(Uri url)
    {
        using var response = await Raw.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var encoding = response.Content.Headers.ContentEncoding.Count == 0 ? null : string.Join(", ", response.Content.Headers.ContentEncoding);
        return (encoding, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync());
    }
}
