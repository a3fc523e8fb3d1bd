using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace TcWorker.LocalQueue.Storage;

/// <summary>
/// Artifact bytes in an S3-compatible bucket, reached through presigned URLs: PUT URLs sign the
/// exact Content-Type the uploader must send, GET URLs are what getArtifact redirects to.
/// </summary>
internal sealed class S3ArtifactStore : IDisposable
{
    private readonly AmazonS3Client client;
    private readonly LocalQueueS3Options options;
    private readonly Protocol protocol;

    public S3ArtifactStore(LocalQueueS3Options options)
    {
        this.options = options;
        protocol = options.Endpoint.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS;
        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint.AbsoluteUri,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            UseHttp = protocol == Protocol.HTTP,
            // S3-compatible servers often lack the flexible checksums that newer SDKs send by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }

    /// <summary>The object key of a blob.</summary>
    public string Key(string blob) => options.KeyPrefix + blob;

    /// <summary>A presigned PUT URL; the upload must send exactly <paramref name="contentType"/>.</summary>
    public string PutUrl(string blob, string contentType, DateTimeOffset expires) => client.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = options.Bucket,
        Key = Key(blob),
        Verb = HttpVerb.PUT,
        ContentType = contentType,
        Expires = expires.UtcDateTime,
        Protocol = protocol,
    });

    /// <summary>A presigned GET URL.</summary>
    public string GetUrl(string blob, DateTimeOffset expires) => client.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = options.Bucket,
        Key = Key(blob),
        Verb = HttpVerb.GET,
        Expires = expires.UtcDateTime,
        Protocol = protocol,
    });

    /// <summary>Stores small bytes directly (inline object uploads).</summary>
    public async Task PutAsync(string blob, byte[] bytes, string contentType, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(bytes, writable: false);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = Key(blob),
            InputStream = content,
            ContentType = contentType,
            // Over plain http the SDK would otherwise store the aws-chunked framing on some servers.
            UseChunkEncoding = false,
            AutoCloseStream = false,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The content type and length of a stored blob; null when it is not there.</summary>
    public async Task<(string ContentType, long Length)?> HeadAsync(string blob, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await client.GetObjectMetadataAsync(options.Bucket, Key(blob), cancellationToken).ConfigureAwait(false);
            return (metadata.Headers.ContentType ?? "application/octet-stream", metadata.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes a blob if it is there.</summary>
    public Task DeleteAsync(string blob, CancellationToken cancellationToken) =>
        client.DeleteObjectAsync(options.Bucket, Key(blob), cancellationToken);

    public void Dispose() => client.Dispose();
}
