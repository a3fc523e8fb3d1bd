using System.Buffers;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Artifacts;

/// <summary>The plugin config's <c>bucket</c>: an operator's own S3-compatible bucket for artifacts.</summary>
internal sealed record BucketOptions(
    Uri Endpoint,
    string Bucket,
    string Prefix,
    string AccessKeyId,
    string SecretAccessKey,
    string Region,
    bool ForcePathStyle,
    int PartSize,
    int PartConcurrency,
    Uri? PublicUrl)
{
    public const int MiB = 1024 * 1024;

    public static BucketOptions FromConfig(JObject config) => new(
        new Uri((string)config["endpoint"]!, UriKind.Absolute),
        (string)config["bucket"]!,
        config.Value<string>("prefix") ?? string.Empty,
        (string)config["accessKeyId"]!,
        (string)config["secretAccessKey"]!,
        config.Value<string>("region") ?? "us-east-1",
        config.Value<bool?>("forcePathStyle") ?? false,
        (config.Value<int?>("partSizeMiB") ?? 8) * MiB,
        config.Value<int?>("partConcurrency") ?? 4,
        config.Value<string>("publicUrl") is { } url ? new Uri(url.EndsWith('/') ? url : url + "/", UriKind.Absolute) : null);

    // ToString never prints the secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Endpoint = {Endpoint}, Bucket = {Bucket}, Prefix = {Prefix}, AccessKeyId = {AccessKeyId}, SecretAccessKey = ***");
        return true;
    }
}

/// <summary>
/// Uploads artifact files to an S3-compatible bucket: one PutObject for files smaller than a part,
/// otherwise a multipart upload whose parts upload in parallel. The content is streamed: at most
/// <c>partConcurrency + 1</c> parts are held in memory. Thread-safe.
/// </summary>
internal sealed class BucketStore : IDisposable
{
    private readonly AmazonS3Client client;
    private readonly BucketOptions options;

    public BucketStore(BucketOptions options)
    {
        this.options = options;
        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint.AbsoluteUri,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            UseHttp = options.Endpoint.Scheme == Uri.UriSchemeHttp,
            // S3-compatible servers often lack the flexible checksums newer SDKs send by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }

    /// <summary>The object key of an artifact: <c>&lt;prefix&gt;/&lt;taskId&gt;/&lt;runId&gt;/&lt;name&gt;</c>.</summary>
    public string KeyFor(string taskId, int runId, string name)
    {
        var prefix = options.Prefix.Trim('/');
        var rest = $"{taskId}/{runId.ToString(CultureInfo.InvariantCulture)}/{name}";
        return prefix.Length == 0 ? rest : prefix + "/" + rest;
    }

    /// <summary>The URL the reference artifact points at: <c>publicUrl/key</c>, else the object's URL at the endpoint.</summary>
    public Uri UrlFor(string key)
    {
        var escaped = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        if (options.PublicUrl is { } baseUrl)
        {
            return new Uri(baseUrl.AbsoluteUri + escaped);
        }

        var endpoint = options.Endpoint.AbsoluteUri.TrimEnd('/');
        if (options.ForcePathStyle)
        {
            return new Uri($"{endpoint}/{Uri.EscapeDataString(options.Bucket)}/{escaped}");
        }

        var builder = new UriBuilder(options.Endpoint) { Host = options.Bucket + "." + options.Endpoint.Host };
        return new Uri(builder.Uri.AbsoluteUri.TrimEnd('/') + "/" + escaped);
    }

    /// <summary>
    /// Uploads the stream's content to <paramref name="key"/> as is; <paramref name="contentEncoding"/>,
    /// when given, is stored as the object's Content-Encoding. Returns the number of parts (1 for a single PUT).
    /// </summary>
    public async Task<int> UploadAsync(string key, Stream content, string contentType, string? contentEncoding, CancellationToken cancellationToken)
    {
        var partSize = options.PartSize;
        var first = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var length = await ReadPartAsync(content, first, partSize, cancellationToken).ConfigureAwait(false);
            if (length < partSize)
            {
                using var body = new MemoryStream(first, 0, length, writable: false);
                var put = new PutObjectRequest
                {
                    BucketName = options.Bucket,
                    Key = key,
                    InputStream = body,
                    ContentType = contentType,
                    // Over plain http the SDK would otherwise send (and some servers store) aws-chunked framing.
                    UseChunkEncoding = false,
                    AutoCloseStream = false,
                };
                put.Headers.ContentEncoding = contentEncoding;
                await client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
                return 1;
            }

            var buffer = first;
            first = null;
            return await UploadMultipartAsync(key, content, contentType, contentEncoding, buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (first is not null)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    public void Dispose() => client.Dispose();

    private async Task<int> UploadMultipartAsync(string key, Stream content, string contentType, string? contentEncoding, byte[] firstPart, CancellationToken cancellationToken)
    {
        var partSize = options.PartSize;
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = options.Bucket,
            Key = key,
            ContentType = contentType,
        };
        initiate.Headers.ContentEncoding = contentEncoding;
        var started = await client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(options.PartConcurrency);
        var parts = new List<Task<PartETag>>();
        try
        {
            var buffer = firstPart;
            var length = partSize;
            for (var number = 1; ; number++)
            {
                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                parts.Add(UploadPartAsync(key, started.UploadId, number, buffer, length, slots, failed));
                buffer = ArrayPool<byte>.Shared.Rent(partSize);
                length = await ReadPartAsync(content, buffer, partSize, failed.Token).ConfigureAwait(false);
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
            }

            var etags = await Task.WhenAll(parts).ConfigureAwait(false);
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket,
                Key = key,
                UploadId = started.UploadId,
                PartETags = [.. etags],
            }, cancellationToken).ConfigureAwait(false);
            return etags.Length;
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(parts).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the first failure is rethrown below
            }

            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = started.UploadId }, CancellationToken.None).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested && parts.FirstOrDefault(p => p.IsFaulted) is { Exception: { } partFailure })
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(partFailure.InnerException ?? partFailure);
            }

            throw;
        }
    }

    /// <summary>Uploads one part, then returns its buffer to the pool and releases the slot the caller took for it.</summary>
    private async Task<PartETag> UploadPartAsync(string key, string uploadId, int number, byte[] buffer, int length, SemaphoreSlim slots, CancellationTokenSource failed)
    {
        await Task.Yield();
        try
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var response = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                PartSize = length,
                InputStream = body,
                UseChunkEncoding = false,
            }, failed.Token).ConfigureAwait(false);
            return new PartETag(number, response.ETag);
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            slots.Release();
        }
    }

    private static async Task<int> ReadPartAsync(Stream content, byte[] buffer, int size, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < size)
        {
            var read = await content.ReadAsync(buffer.AsMemory(total, size - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
