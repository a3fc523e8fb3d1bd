using System.Globalization;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using TcWorker.Shared;

namespace TcWorker.LocalQueue.Storage;

/// <summary>
/// Artifact bytes in <c>&lt;data&gt;/artifacts</c>, reached through expiring HMAC-signed URLs that
/// the server itself serves (the local stand-in for presigned S3 URLs).
/// </summary>
internal sealed class BlobStore
{
    public const string RoutePrefix = "/__blobs/";
    // Bytes gathered into one write; below Kestrel's request buffer limit (1 MiB), so it never stalls the body.
    private const int WriteBatch = 256 << 10;
    private readonly string folder;
    private readonly byte[] key;

    public BlobStore(string folder, byte[] key)
    {
        this.folder = folder;
        this.key = key;
        OwnerOnly.CreateFolder(folder);
    }

    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string PathOf(string key) => Path.Combine(folder, key);

    /// <summary>A URL valid for <paramref name="method"/> until <paramref name="expires"/>.</summary>
    public string SignedUrl(string rootUrl, string method, string key, DateTimeOffset expires)
    {
        var e = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{rootUrl}{RoutePrefix}{key}?expires={e}&signature={Sign(method, key, e)}";
    }

    /// <summary>True when the signature matches the method and key and the URL has not expired.</summary>
    public bool Verify(string method, string key, string? expires, string? signature, DateTimeOffset now)
    {
        if (expires is null || signature is null || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var e)
            || e < now.ToUnixTimeSeconds() || key.Length != 32 || !key.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(method, key, expires)), Encoding.ASCII.GetBytes(signature));
    }

    /// <summary>
    /// Writes the bytes atomically (a temp file, then a rename), so readers never see half a blob.
    /// What the body has buffered is written with one gathered synchronous write straight from the
    /// body's own blocks (a page-cache write: no copy and no thread-pool hop per block); memory stays
    /// the body's buffer, whatever the length.
    /// </summary>
    public async Task<long> WriteAsync(string key, PipeReader body, CancellationToken cancellationToken)
    {
        var temp = PathOf(key) + "." + Guid.NewGuid().ToString("N") + ".tmp";
        long length = 0;
        try
        {
            using (var stream = OwnerOnly.OpenFile(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var file = stream.SafeFileHandle;
                var segments = new List<ReadOnlyMemory<byte>>();
                while (true)
                {
                    var result = await body.ReadAtLeastAsync(WriteBatch, cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    if (buffer.IsSingleSegment)
                    {
                        RandomAccess.Write(file, buffer.FirstSpan, length);
                    }
                    else
                    {
                        segments.Clear();
                        foreach (var segment in buffer)
                        {
                            segments.Add(segment);
                        }

                        RandomAccess.Write(file, segments, length);
                    }

                    length += buffer.Length;
                    body.AdvanceTo(buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }

            File.Move(temp, PathOf(key), overwrite: true);
            return length;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Deletes a blob's file if it is there.</summary>
    public void Delete(string key) => File.Delete(PathOf(key));

    private string Sign(string method, string key, string expires) =>
        Base64UrlEncode(HMACSHA256.HashData(this.key, Encoding.UTF8.GetBytes($"{method}\n{key}\n{expires}")));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
