namespace TcWorker.Tasks;

/// <summary>
/// Creates artifacts for the current run through the queue, with the run's current credentials.
/// Uploads stream their content (never whole files in memory) and are retried on server and
/// network errors. Thread-safe.
/// </summary>
public interface IArtifactPublisher
{
    /// <summary>Uploads content as an artifact (object or s3 storage, chosen by the worker config).</summary>
    /// <param name="artifact">Name, content type and expiry.</param>
    /// <param name="openContent">Opens the content from its start; called again when an upload is retried.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>When the artifact is present in the queue.</returns>
    Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default);

    /// <summary>Creates a <c>reference</c> artifact, a redirect to a URL.</summary>
    /// <param name="name">The artifact name, e.g. <c>public/logs/live.log</c>.</param>
    /// <param name="url">Where the artifact points.</param>
    /// <param name="contentType">The content type found there.</param>
    /// <param name="expires">When it expires; the task's expiry when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When the artifact exists.</returns>
    Task CreateReferenceAsync(string name, Uri url, string contentType, DateTimeOffset? expires = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a <c>link</c> artifact, an alias of another artifact of the same run.</summary>
    /// <param name="name">The artifact name.</param>
    /// <param name="target">The name of the artifact it aliases.</param>
    /// <param name="expires">When it expires; the task's expiry when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When the artifact exists.</returns>
    Task CreateLinkAsync(string name, string target, DateTimeOffset? expires = null, CancellationToken cancellationToken = default);

    /// <summary>Creates an <c>error</c> artifact, which answers 424 with the message when fetched.</summary>
    /// <param name="name">The artifact name.</param>
    /// <param name="reason">Why the artifact is missing.</param>
    /// <param name="message">A message for the task author (at most 4096 characters are kept).</param>
    /// <param name="expires">When it expires; the task's expiry when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When the artifact exists.</returns>
    Task CreateErrorAsync(string name, ArtifactErrorReason reason, string message, DateTimeOffset? expires = null, CancellationToken cancellationToken = default);
}

/// <summary>An artifact to upload.</summary>
public sealed record ArtifactUpload
{
    /// <summary>The artifact name, e.g. <c>public/build/target.tar.gz</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The content type, e.g. <c>text/plain; charset=utf-8</c>.</summary>
    public required string ContentType { get; init; }

    /// <summary>
    /// The content encoding to store it with (<c>gzip</c> or <c>identity</c>); <see langword="null"/>
    /// lets the publisher decide (gzip for compressible types where the storage type allows it).
    /// </summary>
    public string? ContentEncoding { get; init; }

    /// <summary>When it expires; the task's expiry when <see langword="null"/>. May not be later than the task's expiry.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>The length of the content in bytes, when known.</summary>
    public long? ContentLength { get; init; }
}

/// <summary>Why an artifact could not be uploaded, as Taskcluster's error artifacts say it.</summary>
public enum ArtifactErrorReason
{
    /// <summary><c>file-missing-on-worker</c>: the file does not exist.</summary>
    FileMissingOnWorker,

    /// <summary><c>invalid-resource-on-worker</c>: the path is not a regular file, or leads outside the task directory.</summary>
    InvalidResourceOnWorker,

    /// <summary><c>too-large-file-on-worker</c>: the file is too large to upload.</summary>
    TooLargeFileOnWorker,

    /// <summary><c>file-not-readable-on-worker</c>: the file cannot be read.</summary>
    FileNotReadableOnWorker,
}
