using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Taskcluster.Tests.Support;
using static TcWorker.Taskcluster.Tests.Support.Canned;

namespace TcWorker.Taskcluster.Tests;

public sealed class UploadTests
{
    private const string ArtifactName = "public/build/out put.bin";
    private static readonly string ObjectName = $"t/{TaskId}/0/{ArtifactName}";
    private static readonly string ArtifactTarget = $"/api/queue/v1/task/{TaskId}/runs/0/artifacts/{Uri.EscapeDataString(ArtifactName)}";
    private static readonly string UploadTarget = $"/api/object/v1/upload/{Uri.EscapeDataString(ObjectName)}";
    private static readonly string FinishTarget = $"/api/object/v1/finish-upload/{Uri.EscapeDataString(ObjectName)}";
    private readonly FakeTimeProvider time = new(Now);

    [SkippableFact]
    public async Task Small_content_goes_inline_with_its_hashes()
    {
        var content = RandomBytes(100);
        await using var fake = await FakeService.StartAsync();
        var uploadCredentials = ArtifactCredentials();
        fake.On("POST", ArtifactTarget, new Reply(200, ObjectArtifactResponse(uploadCredentials)));
        fake.On("PUT", UploadTarget, new Reply(200, UploadResponse(new JObject { ["dataInline"] = true })));
        fake.On("POST", FinishTarget, new Reply(204));
        fake.On("PUT", ArtifactTarget, new Reply(204));
        using var client = Client(fake.Url, ClaimCredentials());

        var result = await new ArtifactUploader(client.Queue).UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), _ => Task.FromResult<Stream>(new MemoryStream(content)));

        Assert.Equal("dataInline", result.Method);
        Assert.Equal(Hex(SHA256.HashData(content)), result.Hashes.Sha256);
        Assert.Equal(Hex(SHA512.HashData(content)), result.Hashes.Sha512);
        var requests = fake.Requests;
        Assert.Equal(["POST " + ArtifactTarget, "PUT " + UploadTarget, "POST " + FinishTarget, "PUT " + ArtifactTarget], requests.Select(r => r.Method + " " + r.RawTarget));
        await Schemas.AssertValidAsync("queue/v1/post-artifact-request.json", JToken.Parse(requests[0].BodyText));
        var createUpload = JObject.Parse(requests[1].BodyText);
        await Schemas.AssertValidAsync("object/v1/create-upload-request.json", createUpload);
        Assert.Equal(content, Convert.FromBase64String((string)createUpload["proposedUploadMethods"]!["dataInline"]!["objectData"]!));
        Assert.Equal(result.Hashes.Sha256, (string)createUpload["hashes"]!["sha256"]!);
        var finish = JObject.Parse(requests[2].BodyText);
        await Schemas.AssertValidAsync("object/v1/finish-upload-request.json", finish);
        Assert.Equal(result.Hashes.Sha512, (string)finish["hashes"]!["sha512"]!);
        await Schemas.AssertValidAsync("queue/v1/finish-artifact-request.json", JToken.Parse(requests[3].BodyText));

        // Queue calls are signed with the claim's credentials, object calls with the upload credentials.
        Assert.Equal(ClaimCredentials().ClientId, await SignerAsync(fake, requests[0]));
        Assert.Equal(uploadCredentials.ClientId, await SignerAsync(fake, requests[1]));
        Assert.Equal(uploadCredentials.ClientId, await SignerAsync(fake, requests[2]));
        Assert.Equal(ClaimCredentials().ClientId, await SignerAsync(fake, requests[3]));
    }

    [SkippableFact]
    public async Task Large_content_is_streamed_to_the_put_url_with_exactly_its_headers_and_restarted_after_a_5xx()
    {
        var content = RandomBytes(300_000);
        await using var fake = await FakeService.StartAsync();
        var putHeaders = new JObject { ["Content-Type"] = "application/octet-stream", ["Content-Length"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Content-Encoding"] = "identity", ["x-amz-meta-test"] = "1" };
        fake.On("POST", ArtifactTarget, new Reply(200, ObjectArtifactResponse(ArtifactCredentials())));
        fake.On("PUT", UploadTarget, new Reply(200, UploadResponse(new JObject { ["putUrl"] = new JObject { ["url"] = fake.Url + "/bucket/obj?X-Sig=a%2Fb", ["expires"] = Iso(Now.AddMinutes(45)), ["headers"] = putHeaders } })));
        fake.On("PUT", "/bucket/obj?X-Sig=a%2Fb", (_, attempt) => attempt == 1 ? new Reply(503) : new Reply(200));
        fake.On("POST", FinishTarget, new Reply(204));
        fake.On("PUT", ArtifactTarget, new Reply(204));
        using var client = Client(fake.Url, ClaimCredentials());
        var opened = 0;

        var result = await new ArtifactUploader(client.Queue).UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), _ =>
        {
            Interlocked.Increment(ref opened);
            return Task.FromResult<Stream>(new NonSeekableStream(content));
        });

        Assert.Equal("putUrl", result.Method);
        Assert.Equal(3, opened);
        var puts = fake.Requests.Where(r => r.RawTarget.StartsWith("/bucket/", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, puts.Length);
        foreach (var put in puts)
        {
            Assert.Equal(content, put.Body);
            Assert.Equal(["Content-Encoding", "Content-Length", "Content-Type", "Host", "x-amz-meta-test"], put.Headers.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("application/octet-stream", put.Header("Content-Type"));
            Assert.Equal("300000", put.Header("Content-Length"));
            Assert.Equal("identity", put.Header("Content-Encoding"));
        }

        var createUpload = JObject.Parse(fake.Requests.Single(r => r.RawTarget == UploadTarget).BodyText);
        await Schemas.AssertValidAsync("object/v1/create-upload-request.json", createUpload);
        Assert.Null(createUpload["proposedUploadMethods"]!["dataInline"]);
        Assert.Equal(300_000, (long)createUpload["proposedUploadMethods"]!["putUrl"]!["contentLength"]!);
        var finish = JObject.Parse(fake.Requests.Single(r => r.RawTarget == FinishTarget).BodyText);
        Assert.Equal(Hex(SHA256.HashData(content)), (string)finish["hashes"]!["sha256"]!);
        Assert.Equal(Hex(SHA512.HashData(content)), (string)finish["hashes"]!["sha512"]!);
        Assert.Equal("PUT " + ArtifactTarget, fake.Requests[^1].Method + " " + fake.Requests[^1].RawTarget);
    }

    [SkippableFact]
    public async Task A_retried_put_reports_the_hashes_of_the_bytes_the_successful_attempt_sent()
    {
        // Over two blocks, and different bytes (of the same length) at every opening: the digests
        // must cover exactly the last attempt's body, nothing of the failed one.
        const int Length = (2 * 1024 * 1024) + 4321;
        await using var fake = await FakeService.StartAsync();
        fake.On("POST", ArtifactTarget, new Reply(200, ObjectArtifactResponse(ArtifactCredentials())));
        fake.On("PUT", UploadTarget, new Reply(200, UploadResponse(new JObject { ["putUrl"] = new JObject { ["url"] = fake.Url + "/bucket/obj", ["expires"] = Iso(Now.AddMinutes(45)), ["headers"] = new JObject { ["Content-Type"] = "application/octet-stream" } } })));
        fake.On("PUT", "/bucket/obj", (_, attempt) => attempt == 1 ? new Reply(503) : new Reply(200));
        fake.On("POST", FinishTarget, new Reply(204));
        fake.On("PUT", ArtifactTarget, new Reply(204));
        using var client = Client(fake.Url, ClaimCredentials());
        var opened = 0;

        var result = await new ArtifactUploader(client.Queue).UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), _ =>
            Task.FromResult<Stream>(new NonSeekableStream(RandomBytes(Length, seed: Interlocked.Increment(ref opened)))));

        Assert.Equal(3, opened);
        var puts = fake.Requests.Where(r => r.RawTarget == "/bucket/obj").ToArray();
        Assert.Equal(2, puts.Length);
        Assert.Equal(RandomBytes(Length, seed: 3), puts[1].Body);
        Assert.NotEqual(puts[0].Body, puts[1].Body);
        Assert.Equal(Hex(SHA256.HashData(puts[1].Body)), result.Hashes.Sha256);
        Assert.Equal(Hex(SHA512.HashData(puts[1].Body)), result.Hashes.Sha512);
        var finish = JObject.Parse(fake.Requests.Single(r => r.RawTarget == FinishTarget).BodyText);
        Assert.Equal(result.Hashes.Sha256, (string)finish["hashes"]!["sha256"]!);
        Assert.Equal(result.Hashes.Sha512, (string)finish["hashes"]!["sha512"]!);
        Assert.Equal(Length, result.ContentLength);
    }

    [SkippableFact]
    public async Task The_hashes_of_a_known_content_match_digests_computed_elsewhere()
    {
        // Bytes i % 251 for i below 2 MiB + 12345 (two whole blocks and a partial one); the digests
        // come from coreutils' sha256sum and sha512sum over the same bytes.
        var content = new byte[(2 * 1024 * 1024) + 12345];
        for (var i = 0; i < content.Length; i++)
        {
            content[i] = (byte)(i % 251);
        }

        await using var fake = await ObjectServiceAsync();
        using var client = Client(fake.Url, ClaimCredentials());
        using var stream = new MemoryStream(content);

        var result = await new ArtifactUploader(client.Queue).UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), ArtifactUploader.Rewinding(stream));

        Assert.Equal(content, fake.Requests.Single(r => r.RawTarget == "/bucket/obj").Body);
        Assert.Equal("2e5e321c61c38df2ec144156f2f70495fa0551a75f1d8cd234ffe54b01d11fba", result.Hashes.Sha256);
        Assert.Equal("0b705982ccb31e5302d54885886d9f105e8619dca1c038d38f980ba462b4c62af1ed0f3e8ac03bc3ffc12190a3ce34e7dff4009b73a30828d4c0ba572befec54", result.Hashes.Sha512);
        var finish = JObject.Parse(fake.Requests.Single(r => r.RawTarget == FinishTarget).BodyText);
        Assert.Equal(result.Hashes.Sha256, (string)finish["hashes"]!["sha256"]!);
        Assert.Equal(result.Hashes.Sha512, (string)finish["hashes"]!["sha512"]!);
    }

    [SkippableFact]
    public async Task Digests_computed_before_are_sent_as_they_are_and_the_put_carries_the_content()
    {
        var content = RandomBytes(300_000);
        await using var fake = await ObjectServiceAsync();
        using var client = Client(fake.Url, ClaimCredentials());
        using var stream = new MemoryStream(content);
        // not the content's own digests: the uploader must send what it was given, not compute its own
        var given = new ObjectHashes { Sha256 = new string('a', 64), Sha512 = new string('b', 128) };
        var uploader = new ArtifactUploader(client.Queue);

        var result = await uploader.UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), ArtifactUploader.Rewinding(stream), given);

        Assert.Equal(content, fake.Requests.Single(r => r.RawTarget == "/bucket/obj").Body);
        var finish = JObject.Parse(fake.Requests.Single(r => r.RawTarget == FinishTarget).BodyText);
        await Schemas.AssertValidAsync("object/v1/finish-upload-request.json", finish);
        Assert.Equal(given.Sha256, (string)finish["hashes"]!["sha256"]!);
        Assert.Equal(given.Sha512, (string)finish["hashes"]!["sha512"]!);
        Assert.Same(given, result.Hashes);
        await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadObjectAsync(TaskId, 0, ArtifactName, "application/octet-stream", Now.AddDays(1), ArtifactUploader.Rewinding(stream), new ObjectHashes { Sha512 = given.Sha512 }));
    }

    [SkippableFact]
    public async Task S3_artifacts_put_the_declared_content_type_and_length_and_are_not_finished()
    {
        var content = RandomBytes(20_000);
        await using var fake = await FakeService.StartAsync();
        var s3 = new JObject { ["storageType"] = "s3", ["putUrl"] = fake.Url + "/s3/key?Signature=x", ["expires"] = Iso(Now.AddMinutes(45)), ["contentType"] = "text/plain; charset=utf-8" };
        await Schemas.AssertValidAsync("queue/v1/post-artifact-response.json", s3);
        fake.On("POST", ArtifactTarget, new Reply(200, s3));
        fake.On("PUT", "/s3/key?Signature=x", new Reply(200));
        using var client = Client(fake.Url, ClaimCredentials());
        using var stream = new MemoryStream(content);

        var result = await new ArtifactUploader(client.Queue).UploadS3Async(TaskId, 0, ArtifactName, "text/plain; charset=utf-8", Now.AddDays(1), ArtifactUploader.Rewinding(stream));

        Assert.Equal("s3", result.Method);
        Assert.Equal(2, fake.Requests.Count);
        await Schemas.AssertValidAsync("queue/v1/post-artifact-request.json", JToken.Parse(fake.Requests[0].BodyText));
        var put = fake.Requests[1];
        Assert.Equal(content, put.Body);
        Assert.Equal("text/plain; charset=utf-8", put.Header("Content-Type"));
        Assert.Equal("20000", put.Header("Content-Length"));
        Assert.Null(put.Header("Authorization"));
        Assert.True(stream.CanRead, "the caller's stream stays open");
        Assert.Null(result.Hashes.Sha256);
        Assert.Null(result.Hashes.Sha512);
    }

    [SkippableFact]
    public async Task Gzip_s3_artifacts_are_compressed_once_to_a_temporary_file_and_retries_send_the_same_bytes()
    {
        var content = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n")));
        var folder = Directory.CreateTempSubdirectory("tcw-gzip-test-").FullName;
        try
        {
            await using var fake = await FakeService.StartAsync();
            fake.On("POST", ArtifactTarget, new Reply(200, new JObject { ["storageType"] = "s3", ["putUrl"] = fake.Url + "/s3/key?Signature=x", ["expires"] = Iso(Now.AddMinutes(45)), ["contentType"] = "text/plain; charset=utf-8" }));
            fake.On("PUT", "/s3/key?Signature=x", (_, attempt) => attempt == 1 ? new Reply(503) : new Reply(200));
            using var client = Client(fake.Url, ClaimCredentials());
            var opened = 0;

            var result = await new ArtifactUploader(client.Queue) { TemporaryFolder = folder }.UploadS3Async(TaskId, 0, ArtifactName, "text/plain; charset=utf-8", Now.AddDays(1), _ =>
            {
                Interlocked.Increment(ref opened);
                return Task.FromResult<Stream>(new NonSeekableStream(content));
            }, ArtifactEncoding.Gzip);

            Assert.Equal(1, opened);
            Assert.Equal("gzip", result.ContentEncoding);
            var puts = fake.Requests.Where(r => r.Method == "PUT").ToArray();
            Assert.Equal(2, puts.Length);
            Assert.Equal(puts[0].Body, puts[1].Body);
            foreach (var put in puts)
            {
                Assert.Equal("gzip", put.Header("Content-Encoding"));
                Assert.Equal("text/plain; charset=utf-8", put.Header("Content-Type"));
                Assert.Equal(put.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), put.Header("Content-Length"));
                Assert.Equal(content, Gunzip(put.Body));
            }

            Assert.True(puts[0].Body.Length < content.Length / 3, $"{puts[0].Body.Length} bytes for {content.Length}");
            Assert.Equal(puts[0].Body.Length, result.ContentLength);
            Assert.Null(result.Hashes.Sha256);
            Assert.Null(result.Hashes.Sha512);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Identity_s3_artifacts_carry_no_content_encoding_and_unknown_encodings_are_refused()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("POST", ArtifactTarget, new Reply(200, new JObject { ["storageType"] = "s3", ["putUrl"] = fake.Url + "/s3/key", ["expires"] = Iso(Now.AddMinutes(45)), ["contentType"] = "text/plain" }));
        fake.On("PUT", "/s3/key", new Reply(200));
        using var client = Client(fake.Url, ClaimCredentials());
        var uploader = new ArtifactUploader(client.Queue);

        var result = await uploader.UploadS3Async(TaskId, 0, ArtifactName, "text/plain", Now.AddDays(1), _ => Task.FromResult<Stream>(new MemoryStream(new byte[100])), ArtifactEncoding.Identity);

        Assert.Equal("identity", result.ContentEncoding);
        Assert.Null(fake.Requests.Single(r => r.Method == "PUT").Header("Content-Encoding"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => uploader.UploadS3Async(TaskId, 0, ArtifactName, "text/plain", Now.AddDays(1), _ => Task.FromResult<Stream>(new MemoryStream(new byte[1])), "br"));
        Assert.Contains("'br'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_that_cannot_be_reopened_fails_without_retries()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("POST", ArtifactTarget, new Reply(200, new JObject { ["storageType"] = "s3", ["putUrl"] = fake.Url + "/s3/key", ["expires"] = Iso(Now.AddMinutes(45)), ["contentType"] = "text/plain" }));
        using var client = Client(fake.Url, ClaimCredentials());
        var opened = 0;
        await Assert.ThrowsAsync<FileNotFoundException>(() => new ArtifactUploader(client.Queue).UploadS3Async(TaskId, 0, ArtifactName, "text/plain", Now.AddDays(1), _ =>
            Interlocked.Increment(ref opened) == 1 ? Task.FromResult<Stream>(new MemoryStream(new byte[10])) : throw new FileNotFoundException("gone")));
        Assert.Equal(2, opened);
        Assert.Single(fake.Requests);
    }

    /// <summary>A fake queue and object service that accept one object upload through a put URL at <c>/bucket/obj</c>.</summary>
    private static async Task<FakeService> ObjectServiceAsync()
    {
        var fake = await FakeService.StartAsync();
        fake.On("POST", ArtifactTarget, new Reply(200, ObjectArtifactResponse(ArtifactCredentials())));
        fake.On("PUT", UploadTarget, new Reply(200, UploadResponse(new JObject { ["putUrl"] = new JObject { ["url"] = fake.Url + "/bucket/obj", ["expires"] = Iso(Now.AddMinutes(45)), ["headers"] = new JObject { ["Content-Type"] = "application/octet-stream" } } })));
        fake.On("PUT", "/bucket/obj", new Reply(200));
        fake.On("POST", FinishTarget, new Reply(204));
        fake.On("PUT", ArtifactTarget, new Reply(204));
        return fake;
    }

    private static JObject ObjectArtifactResponse(TaskclusterCredentials credentials) => new()
    {
        ["storageType"] = "object", ["name"] = ObjectName, ["projectId"] = "none", ["uploadId"] = UploadId,
        ["expires"] = Iso(Now.AddDays(1)), ["credentials"] = CredentialsJson(credentials),
    };

    private static JObject UploadResponse(JObject method) => new()
    {
        ["projectId"] = "none", ["uploadId"] = UploadId, ["expires"] = Iso(Now.AddDays(1)), ["uploadMethod"] = method,
    };

    private static TaskclusterCredentials ArtifactCredentials() =>
        Worker.CreateTemporary([$"object:upload:none:{ObjectName}"], Now.AddMinutes(-1), Now.AddHours(24), $"artifact-upload/{TaskId}/0/on/wg/wid");

    private async Task<string?> SignerAsync(FakeService fake, RecordedRequest request)
    {
        var url = new Uri(fake.Url);
        var result = await new HawkVerifier(Lookup(), time).VerifyAsync(new HawkRequest
        {
            Method = request.Method, Resource = request.RawTarget, Host = url.Host, Port = url.Port, Authorization = request.Header("Authorization"),
        });
        Assert.True(result.IsAuthenticated, result.Message);
        return result.ClientId;
    }

    private TaskclusterClient Client(string url, TaskclusterCredentials credentials) =>
        new(new TaskclusterClientOptions { RootUrl = url, Credentials = credentials, TimeProvider = time, RetryDelayFactor = TimeSpan.Zero });

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(gzip), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] RandomBytes(int length, int seed = 0)
    {
        var bytes = new byte[length];
        new Random(length + seed).NextBytes(bytes);
        return bytes;
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
