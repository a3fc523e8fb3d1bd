using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>What an upload stored.</summary>
/// <param name="Name">The artifact name.</param>
/// <param name="Method"><c>dataInline</c>, <c>putUrl</c> or <c>s3</c>.</param>
/// <param name="ContentLength">Bytes uploaded (the gzip form's size when <see cref="ContentEncoding"/> is <c>gzip</c>).</param>
/// <param name="Hashes">
/// SHA-256 and SHA-512 of the bytes uploaded, lowercase hex, for <c>object</c> artifacts (the object
/// service stores them for downloaders to verify). Empty for <c>s3</c> artifacts: nothing takes
/// digests for them, so none are computed.
/// </param>
public sealed record ArtifactUploadResult(string Name, string Method, long ContentLength, ObjectHashes Hashes)
{
    /// <summary>The Content-Encoding the artifact was stored with: <c>identity</c> or <c>gzip</c>.</summary>
    public string ContentEncoding { get; init; } = ArtifactEncoding.Identity;
}

/// <summary>
/// Uploads artifact content: <c>object</c> artifacts through the object service (inline up to
/// 8 KiB, else a PUT to the returned URL with exactly the returned headers; then finishUpload
/// and finishArtifact) and legacy <c>s3</c> artifacts (one presigned PUT, optionally with
/// <c>Content-Encoding: gzip</c>). Content is streamed in 1 MiB blocks, never held in memory whole;
/// an object's hashes are computed on other threads while each block is sent. A 5xx or network error during a PUT reopens the content and starts
/// again. Thread-safe.
/// </summary>
public sealed class ArtifactUploader
{
    /// <summary>Largest content sent inline (decoded size).</summary>
    public const int MaxInlineBytes = 8192;

    private readonly QueueClient queue;

    /// <summary>Creates an uploader.</summary>
    /// <param name="queue">A queue client signing with the run's current credentials.</param>
    public ArtifactUploader(QueueClient queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        this.queue = queue;
    }

    /// <summary>
    /// Where gzip uploads compress their content first (a presigned PUT needs the length up front);
    /// <see cref="Path.GetTempPath"/> when <see langword="null"/>. Each file is deleted when its upload ends.
    /// </summary>
    public string? TemporaryFolder { get; init; }

    /// <summary>Uploads an <c>object</c> artifact and finishes it.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact name, e.g. <c>public/logs/live_backing.log</c>.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="expires">Artifact expiry, no later than the task's.</param>
    /// <param name="openContent">Opens the content from its start; called again for each retry. The uploader disposes the streams.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="TaskclusterException">A call failed.</exception>
    /// <exception cref="InvalidDataException">The content changed length between openings.</exception>
    public Task<ArtifactUploadResult> UploadObjectAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default) =>
        UploadObjectCoreAsync(taskId, runId, name, contentType, expires, openContent, known: null, cancellationToken);

    /// <summary>
    /// Uploads an <c>object</c> artifact whose digests were computed before (say, while the content was
    /// written), and finishes it with them: the PUT sends the bytes without digesting them again.
    /// Content small enough to go inline is digested all the same.
    /// </summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact name.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="expires">Artifact expiry, no later than the task's.</param>
    /// <param name="openContent">Opens the content from its start; called again for each retry. The uploader disposes the streams.</param>
    /// <param name="contentHashes">
    /// SHA-256 and SHA-512 of exactly the bytes <paramref name="openContent"/> returns, lowercase hex;
    /// downloaders verify them. The caller vouches for them: the uploader checks only the length it sends.
    /// </param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="ArgumentException"><paramref name="contentHashes"/> lacks one of the two digests.</exception>
    /// <exception cref="TaskclusterException">A call failed.</exception>
    /// <exception cref="InvalidDataException">The content changed length between openings.</exception>
    public Task<ArtifactUploadResult> UploadObjectAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, ObjectHashes contentHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contentHashes);
        if (contentHashes.Sha256 is null || contentHashes.Sha512 is null)
        {
            throw new ArgumentException("Both SHA-256 and SHA-512 of the content are needed.", nameof(contentHashes));
        }

        return UploadObjectCoreAsync(taskId, runId, name, contentType, expires, openContent, contentHashes, cancellationToken);
    }

    private async Task<ArtifactUploadResult> UploadObjectCoreAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, ObjectHashes? known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openContent);
        var probe = await ProbeAsync(openContent, cancellationToken).ConfigureAwait(false);
        var artifact = await queue.CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.Object(expires, contentType), cancellationToken).ConfigureAwait(false);
        if (artifact.Name is null || artifact.ProjectId is null || artifact.UploadId is null || artifact.Credentials is null)
        {
            throw new TaskclusterException($"createArtifact for {name} returned no object upload details (storageType {artifact.StorageType}).");
        }

        var objects = queue.Client.WithCredentials(artifact.Credentials).Object;
        var request = new CreateUploadRequest
        {
            ProjectId = artifact.ProjectId,
            UploadId = artifact.UploadId,
            Expires = artifact.Expires ?? expires,
            ProposedUploadMethods = new ProposedUploadMethods
            {
                DataInline = probe.Inline is { } data ? new DataInlineUpload { ContentType = contentType, ObjectData = Convert.ToBase64String(data) } : null,
                PutUrl = new PutUrlUploadRequest { ContentType = contentType, ContentLength = probe.Length },
            },
            Hashes = probe.Inline is { } inline ? HashOf(inline) : null,
        };
        var upload = await objects.CreateUploadAsync(artifact.Name, request, cancellationToken).ConfigureAwait(false);
        ObjectHashes hashes;
        string method;
        if (upload.UploadMethod.DataInline == true && probe.Inline is { } stored)
        {
            hashes = HashOf(stored);
            method = "dataInline";
        }
        else if (upload.UploadMethod.PutUrl is { } putUrl)
        {
            var sent = await PutAsync(putUrl, probe.Length, openContent, hash: known is null, async token =>
                (await objects.CreateUploadAsync(artifact.Name, request, token).ConfigureAwait(false)).UploadMethod.PutUrl ?? putUrl, cancellationToken).ConfigureAwait(false);
            hashes = known ?? sent;
            method = "putUrl";
        }
        else
        {
            throw new TaskclusterException($"The object service accepted no proposed upload method for {artifact.Name}.");
        }

        await objects.FinishUploadAsync(artifact.Name, new FinishUploadRequest { ProjectId = artifact.ProjectId, UploadId = artifact.UploadId, Hashes = hashes }, cancellationToken).ConfigureAwait(false);
        await queue.FinishArtifactAsync(taskId, runId, name, artifact.UploadId, cancellationToken).ConfigureAwait(false);
        TaskclusterTelemetry.Uploaded(method, probe.Length);
        return new ArtifactUploadResult(name, method, probe.Length, hashes);
    }

    /// <summary>Uploads a legacy <c>s3</c> artifact: one PUT with exactly the declared Content-Type and the content's Content-Length. No finish call exists for it.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact name.</param>
    /// <param name="contentType">The content type (the PUT must carry the same).</param>
    /// <param name="expires">Artifact expiry.</param>
    /// <param name="openContent">Opens the content from its start; called again for each retry.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="TaskclusterException">A call failed.</exception>
    public Task<ArtifactUploadResult> UploadS3Async(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default) =>
        UploadS3Async(taskId, runId, name, contentType, expires, openContent, ArtifactEncoding.Identity, cancellationToken);

    /// <summary>
    /// Uploads a legacy <c>s3</c> artifact with a content encoding. With <c>gzip</c> the content is
    /// read once and compressed into a temporary file under <see cref="TemporaryFolder"/>, which is
    /// uploaded (and re-sent unchanged on retries) with <c>Content-Encoding: gzip</c> and the original
    /// Content-Type, then deleted. The gzip form is sent even when it is not smaller.
    /// </summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact name.</param>
    /// <param name="contentType">The content type of the original bytes (the PUT must carry the same).</param>
    /// <param name="expires">Artifact expiry.</param>
    /// <param name="openContent">Opens the content from its start; called again for each retry with <c>identity</c>, once with <c>gzip</c>.</param>
    /// <param name="contentEncoding"><see cref="ArtifactEncoding.Identity"/> or <see cref="ArtifactEncoding.Gzip"/>.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <exception cref="TaskclusterException">A call failed.</exception>
    /// <exception cref="ArgumentException"><paramref name="contentEncoding"/> is neither <c>identity</c> nor <c>gzip</c>.</exception>
    public async Task<ArtifactUploadResult> UploadS3Async(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, string contentEncoding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openContent);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        if (contentEncoding == ArtifactEncoding.Identity)
        {
            return await PutS3Async(taskId, runId, name, contentType, expires, openContent, contentEncoding, cancellationToken).ConfigureAwait(false);
        }

        if (contentEncoding != ArtifactEncoding.Gzip)
        {
            throw new ArgumentException($"Unknown content encoding '{contentEncoding}'; use '{ArtifactEncoding.Identity}' or '{ArtifactEncoding.Gzip}'.", nameof(contentEncoding));
        }

        Stream compressed;
        var original = await openContent(cancellationToken).ConfigureAwait(false);
        await using (original.ConfigureAwait(false))
        {
            compressed = await ArtifactEncoding.CompressToTemporaryFileAsync(original, TemporaryFolder, cancellationToken).ConfigureAwait(false);
        }

        await using (compressed.ConfigureAwait(false))
        {
            return await PutS3Async(taskId, runId, name, contentType, expires, Rewinding(compressed), contentEncoding, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wraps a seekable stream as an opener that rewinds it to its current position; the caller keeps ownership.</summary>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    public static Func<CancellationToken, Task<Stream>> Rewinding(Stream seekable)
    {
        ArgumentNullException.ThrowIfNull(seekable);
        if (!seekable.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable; pass an opener instead.", nameof(seekable));
        }

        var start = seekable.Position;
        return _ =>
        {
            seekable.Position = start;
            return Task.FromResult<Stream>(new NonClosingStream(seekable));
        };
    }

    private async Task<ArtifactUploadResult> PutS3Async(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Func<CancellationToken, Task<Stream>> openContent, string contentEncoding, CancellationToken cancellationToken)
    {
        var probe = await ProbeAsync(openContent, cancellationToken).ConfigureAwait(false);
        var artifact = await queue.CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.S3(expires, contentType), cancellationToken).ConfigureAwait(false);
        if (artifact.PutUrl is null)
        {
            throw new TaskclusterException($"createArtifact for {name} returned no putUrl (storageType {artifact.StorageType}).");
        }

        var headers = new Dictionary<string, string> { ["Content-Type"] = artifact.ContentType ?? contentType };
        if (contentEncoding != ArtifactEncoding.Identity)
        {
            // Not part of the presigned signature: S3 stores it with the object and serves it back.
            headers["Content-Encoding"] = contentEncoding;
        }

        var target = new PutUrlUpload { Url = artifact.PutUrl, Expires = artifact.Expires ?? DateTimeOffset.MaxValue, Headers = headers };
        var hashes = await PutAsync(target, probe.Length, openContent, hash: false, null, cancellationToken).ConfigureAwait(false);
        TaskclusterTelemetry.Uploaded("s3", probe.Length);
        return new ArtifactUploadResult(name, "s3", probe.Length, hashes) { ContentEncoding = contentEncoding };
    }

    private static ObjectHashes HashOf(byte[] data) => new()
    {
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)),
        Sha512 = Convert.ToHexStringLower(SHA512.HashData(data)),
    };

    /// <summary>Finds the content length (and keeps the content when it is small enough to send inline).</summary>
    private static async Task<(long Length, byte[]? Inline)> ProbeAsync(Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken)
    {
        var stream = await openContent(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var start = stream.CanSeek ? stream.Position : 0;
            var buffer = new byte[MaxInlineBytes + 1];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read <= MaxInlineBytes)
            {
                return (read, buffer[..read]);
            }

            if (stream.CanSeek)
            {
                return (stream.Length - start, null);
            }

            long length = read;
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += n;
            }

            return (length, null);
        }
    }

    private async Task<ObjectHashes> PutAsync(PutUrlUpload target, long length, Func<CancellationToken, Task<Stream>> openContent, bool hash, Func<CancellationToken, Task<PutUrlUpload>>? renew, CancellationToken cancellationToken)
    {
        var client = queue.Client;
        var current = target;
        HashingContent? sent = null;
        await client.Retry.ExecuteAsync(
            client.Http,
            async token =>
            {
                if (renew is not null && client.Options.TimeProvider.GetUtcNow() >= current.Expires - TimeSpan.FromMinutes(1))
                {
                    current = await renew(token).ConfigureAwait(false);
                }

                sent = new HashingContent(await openContent(token).ConfigureAwait(false), length, hash);
                var request = new HttpRequestMessage(HttpMethod.Put, TaskclusterUrl.Create(current.Url)) { Content = sent };
                foreach (var (header, value) in current.Headers)
                {
                    if (header.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    if (header.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                    {
                        request.Content.Headers.Remove(header);
                        request.Content.Headers.TryAddWithoutValidation(header, value);
                    }
                    else
                    {
                        request.Headers.TryAddWithoutValidation(header, value);
                    }
                }

                return request;
            },
            async (response, token) =>
            {
                await TaskclusterClient.EnsureSuccessAsync(response, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken,
            "upload",
            "artifact").ConfigureAwait(false);
        if (sent!.Hashes is not { } hashes || sent.BytesSent != length)
        {
            throw new InvalidDataException($"The content was {length} bytes when measured but {sent.BytesSent} bytes when uploaded.");
        }

        return hashes;
    }

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
