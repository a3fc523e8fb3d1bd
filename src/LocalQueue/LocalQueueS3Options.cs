namespace TcWorker.LocalQueue;

/// <summary>
/// An S3-compatible bucket that holds the local queue's artifact bytes instead of the data folder.
/// Uploads and downloads then go straight to the bucket through presigned URLs.
/// </summary>
public sealed record LocalQueueS3Options
{
    /// <summary>The S3 endpoint, e.g. <c>http://127.0.0.1:9000</c> or <c>https://s3.eu-west-1.amazonaws.com</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The bucket; it must exist.</summary>
    public required string Bucket { get; init; }

    /// <summary>The access key id.</summary>
    public required string AccessKeyId { get; init; }

    /// <summary>The secret access key.</summary>
    public required string SecretAccessKey { get; init; }

    /// <summary>The region the requests are signed for. Default <c>us-east-1</c>.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers want. Default true.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Prepended to every object key, e.g. <c>queue/</c>. Default none.</summary>
    public string KeyPrefix { get; init; } = string.Empty;

    // ToString never prints the secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Endpoint = ").Append(Endpoint).Append(", Bucket = ").Append(Bucket)
            .Append(", AccessKeyId = ").Append(AccessKeyId).Append(", SecretAccessKey = ***, Region = ").Append(Region)
            .Append(", ForcePathStyle = ").Append(ForcePathStyle).Append(", KeyPrefix = ").Append(KeyPrefix);
        return true;
    }
}
