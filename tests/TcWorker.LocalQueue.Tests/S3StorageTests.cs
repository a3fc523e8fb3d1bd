using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>
/// The local queue with its artifact bytes in an S3-compatible bucket (a real s3rver on loopback).
/// s3rver does not verify SigV4 signatures, so these tests prove that bytes, keys and Content-Type
/// travel through the presigned URLs intact, not that the URLs are signed correctly.
/// </summary>
public sealed class S3StorageTests
{
    [SkippableFact]
    public async Task S3_and_object_artifacts_go_to_the_bucket_and_getArtifact_redirects_there()
    {
        await using var s3 = await S3rverProcess.StartAsync("queue-artifacts");
        await using var h = await StartOnBucketAsync(s3, "lq/");
        var (taskId, task) = await ArtifactTests.ClaimedAsync(h);
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var uploader = new ArtifactUploader(task.Queue);
        var big = new byte[300_000];
        Random.Shared.NextBytes(big);
        var uploads = new[]
        {
            (Name: "public/a b+c.txt", Type: "text/plain; charset=utf-8", Bytes: Encoding.UTF8.GetBytes("s3 bytes"), Object: false),
            (Name: "public/small.json", Type: "application/json", Bytes: Encoding.UTF8.GetBytes("{\"inline\":true}"), Object: true),
            (Name: "public/big.bin", Type: "application/x-custom", Bytes: big, Object: true),
        };
        foreach (var (name, type, bytes, isObject) in uploads)
        {
            var open = ArtifactUploader.Rewinding(new MemoryStream(bytes));
            _ = isObject
                ? await uploader.UploadObjectAsync(taskId, 0, name, type, expires, open)
                : await uploader.UploadS3Async(taskId, 0, name, type, expires, open);
        }

        using var http = new HttpClient();
        foreach (var (name, type, bytes, _) in uploads)
        {
            var location = await h.Root.Queue.GetArtifactAsync(taskId, 0, name);
            Assert.StartsWith(s3.Endpoint.AbsoluteUri + s3.Bucket + "/lq/", location.Url, StringComparison.Ordinal);
            using var direct = await http.GetAsync(location.Url);
            Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
            Assert.Equal(type, direct.Content.Headers.ContentType!.ToString());
            Assert.Equal(bytes, await direct.Content.ReadAsByteArrayAsync());

            // through the queue's 303 redirect, as a browser or curl -L would fetch it
            using var redirected = await http.GetAsync(h.Root.Queue.BuildSignedArtifactUrl(taskId, 0, name, TimeSpan.FromMinutes(5)));
            Assert.Equal(HttpStatusCode.OK, redirected.StatusCode);
            Assert.Equal(type, redirected.Content.Headers.ContentType!.ToString());
            Assert.Equal(bytes, await redirected.Content.ReadAsByteArrayAsync());
        }

        // read back with the SDK: three objects under the prefix, stored as plain bytes (no aws-chunked framing)
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey), new AmazonS3Config
        {
            ServiceURL = s3.Endpoint.AbsoluteUri,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            UseHttp = true,
        });
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = s3.Bucket, Prefix = "lq/" });
        Assert.Equal(3, listed.S3Objects.Count);
        Assert.Equal(uploads.Select(u => (long)u.Bytes.Length).Order(), listed.S3Objects.Select(o => o.Size ?? -1).Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(h.Options.DataFolder!, "artifacts")));
    }

    [SkippableFact]
    public async Task The_bucket_keeps_the_content_encoding_an_s3_upload_sent_and_serves_it_back()
    {
        await using var s3 = await S3rverProcess.StartAsync("queue-encodings");
        await using var h = await StartOnBucketAsync(s3, string.Empty);
        await ArtifactTests.AssertEncodingsRoundTripAsync(h);
    }

    private static Task<QueueHarness> StartOnBucketAsync(S3rverProcess s3, string keyPrefix) => QueueHarness.StartAsync(o => o with
    {
        S3 = new LocalQueueS3Options
        {
            Endpoint = s3.Endpoint,
            Bucket = s3.Bucket,
            AccessKeyId = S3rverProcess.AccessKeyId,
            SecretAccessKey = S3rverProcess.SecretAccessKey,
            ForcePathStyle = true,
            KeyPrefix = keyPrefix,
        },
    });
}
