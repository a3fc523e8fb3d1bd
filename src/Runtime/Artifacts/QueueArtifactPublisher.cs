using TcWorker.Taskcluster;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Artifacts;

/// <summary>How uploaded artifacts are stored by the queue.</summary>
public enum ArtifactStorageType
{
    /// <summary>The object service (preferred): createUpload, PUT, finishUpload, finishArtifact.</summary>
    Object,

    /// <summary>The legacy s3 storage type: one presigned PUT.</summary>
    S3,
}

/// <summary>
/// Creates the artifacts of one run through the queue, always with the run's current temporary
/// credentials (they change on every reclaim, so the queue client is asked for each call). Expiry
/// defaults to, and is capped at, the task's expiry. With s3 storage, uploads are gzip-encoded when
/// asked for, or, when the upload leaves it open, when <see cref="ArtifactEncoding.IsCompressible"/>
/// says so; object storage always stores identity, and says so once when gzip was asked for.
/// Thread-safe.
/// </summary>
public sealed class QueueArtifactPublisher : IArtifactPublisher
{
    private const int MaxErrorMessageLength = 4096;
    private readonly string taskId;
    private readonly int runId;
    private readonly DateTimeOffset taskExpires;
    private readonly Func<QueueClient> queue;
    private readonly ArtifactStorageType storage;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> references = new(StringComparer.Ordinal);
    private readonly string? temporaryFolder;
    private readonly Action<string>? note;
    private int gzipRefused;

    /// <summary>Creates the publisher.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="taskExpires">The task's expiry; no artifact outlives it.</param>
    /// <param name="queue">Returns a queue client signed with the run's current credentials.</param>
    /// <param name="storage">How uploads are stored.</param>
    /// <param name="temporaryFolder">Where gzip uploads are compressed before they are sent; the system's temporary folder when <see langword="null"/>.</param>
    /// <param name="note">Writes a line for the task author (the task log); called at most once, when gzip is asked for but the storage type does not allow it.</param>
    public QueueArtifactPublisher(string taskId, int runId, DateTimeOffset taskExpires, Func<QueueClient> queue, ArtifactStorageType storage, string? temporaryFolder = null, Action<string>? note = null)
    {
        this.temporaryFolder = temporaryFolder;
        this.note = note;
        this.taskId = taskId;
        this.runId = runId;
        this.taskExpires = taskExpires;
        this.queue = queue;
        this.storage = storage;
    }

    /// <inheritdoc />
    public async Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var encoding = ArtifactEncoding.Choose(artifact.Name, artifact.ContentType, artifact.ContentEncoding);
        var uploader = new ArtifactUploader(queue()) { TemporaryFolder = temporaryFolder };
        var expires = Expiry(artifact.Expires);
        if (storage == ArtifactStorageType.Object)
        {
            if (artifact.ContentEncoding == ArtifactEncoding.Gzip && Interlocked.Exchange(ref gzipRefused, 1) == 0)
            {
                note?.Invoke($"Artifact {artifact.Name} asks for gzip content encoding, but object storage keeps artifacts with identity encoding; stored as is (so are any later ones that ask)");
            }

            await uploader.UploadObjectAsync(taskId, runId, artifact.Name, artifact.ContentType, expires, openContent, cancellationToken).ConfigureAwait(false);
            return;
        }

        await uploader.UploadS3Async(taskId, runId, artifact.Name, artifact.ContentType, expires, openContent, encoding, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads content whose digests may have been computed before (the task log's, while it was
    /// written): with object storage and digests at hand, the upload sends the bytes without digesting
    /// them again; otherwise it is <see cref="UploadAsync(ArtifactUpload, Func{CancellationToken, Task{Stream}}, CancellationToken)"/>.
    /// </summary>
    /// <param name="artifact">What to upload.</param>
    /// <param name="openContent">Opens the content from its start.</param>
    /// <param name="digests">SHA-256 and SHA-512 of exactly the content, or <see langword="null"/> when there are none; awaited only for object storage.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>When the artifact is uploaded.</returns>
    internal async Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, Task<ObjectHashes?> digests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (storage == ArtifactStorageType.Object && artifact.ContentEncoding is null
            && await digests.WaitAsync(cancellationToken).ConfigureAwait(false) is { } known)
        {
            var uploader = new ArtifactUploader(queue()) { TemporaryFolder = temporaryFolder };
            await uploader.UploadObjectAsync(taskId, runId, artifact.Name, artifact.ContentType, Expiry(artifact.Expires), openContent, known, cancellationToken).ConfigureAwait(false);
            return;
        }

        await UploadAsync(artifact, openContent, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CreateReferenceAsync(string name, Uri url, string contentType, DateTimeOffset? expires = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        await queue().CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.Reference(Expiry(expires), url.AbsoluteUri, contentType), cancellationToken).ConfigureAwait(false);
        references[name] = true;
    }

    /// <summary>Whether a reference artifact of this name was created through this publisher.</summary>
    /// <param name="name">The artifact name.</param>
    /// <returns><see langword="true"/> when it was.</returns>
    public bool HasReference(string name) => references.ContainsKey(name);

    /// <inheritdoc />
    public Task CreateLinkAsync(string name, string target, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
        queue().CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.Link(Expiry(expires), target), cancellationToken);

    /// <inheritdoc />
    public Task CreateErrorAsync(string name, ArtifactErrorReason reason, string message, DateTimeOffset? expires = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var trimmed = message.Length > MaxErrorMessageLength ? message[..MaxErrorMessageLength] : message;
        return queue().CreateArtifactAsync(taskId, runId, name, CreateArtifactRequest.Error(Expiry(expires), WireString(reason), trimmed), cancellationToken);
    }

    /// <summary>The Taskcluster name of an error artifact's reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>E.g. <c>file-missing-on-worker</c>.</returns>
    public static string WireString(ArtifactErrorReason reason) => reason switch
    {
        ArtifactErrorReason.FileMissingOnWorker => "file-missing-on-worker",
        ArtifactErrorReason.InvalidResourceOnWorker => "invalid-resource-on-worker",
        ArtifactErrorReason.TooLargeFileOnWorker => "too-large-file-on-worker",
        ArtifactErrorReason.FileNotReadableOnWorker => "file-not-readable-on-worker",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown artifact error reason."),
    };

    private DateTimeOffset Expiry(DateTimeOffset? requested) => requested is { } value && value < taskExpires ? value : taskExpires;
}
