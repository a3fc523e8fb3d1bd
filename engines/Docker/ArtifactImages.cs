using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;
using TcWorker.Taskcluster;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Images published as artifacts (<c>task-image</c>, <c>indexed-image</c>): found and read with the
/// task's own authority, loaded once, and kept by source. Thread-safe; two tasks wanting the same
/// artifact at once load it once.
/// </summary>
/// <remarks>
/// The authority is the run's credentials restricted (authorizedScopes) to the task's scopes, so the
/// queue and the index decide, exactly as for anything else the task asks for: a private artifact
/// needs <c>queue:get-artifact:&lt;path&gt;</c>, an index look-up <c>index:find-task:&lt;namespace&gt;</c>
/// (public deployments grant <c>public/*</c> artifacts and look-ups to everyone). Every task asks the
/// queue for the artifact, cached or not, and a refusal is a refusal even when the image is on this
/// worker. The cache key is the task, the path and where the queue says the content is (its URL without
/// the signature), so a rerun of the image task, or a namespace indexing a newer task, loads anew.
/// </remarks>
internal sealed class ArtifactImages(DockerClient client, ImageStore store, DockerSettings settings, ITemporaryStorage storage, TimeProvider time) : IDisposable
{
    private const string Repository = "tcworker/task-image";
    private readonly HttpClient api = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly HttpClient downloads = new(new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 10 }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, string> loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    /// <summary>
    /// Returns the image and a lease that keeps it from eviction until the task's container exists.
    /// Throws <see cref="MalformedPayloadException"/> when the artifact is missing, not readable with the
    /// task's scopes, or not a loadable image archive, and <see cref="TaskException"/>
    /// (resource-unavailable) when the queue or the download keeps failing or takes longer than the pull timeout.
    /// </summary>
    public async Task<(ImageInspectResponse Image, IDisposable Lease)> EnsureLeasedAsync(ImageArtifact artifact, ITaskContext task, CancellationToken cancellationToken)
    {
        var credentials = new TaskclusterCredentials(task.Credentials.ClientId, task.Credentials.AccessToken, task.Credentials.Certificate, authorizedScopes: task.Scopes);
        using var taskcluster = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = task.RootUrl, Credentials = credentials, TimeProvider = time, MaxRetries = 3 }, api);
        if (artifact.TaskId is null)
        {
            artifact = artifact.WithTask(await FindIndexedAsync(taskcluster.Index, artifact, cancellationToken).ConfigureAwait(false));
        }

        var url = await LocateAsync(taskcluster.Queue, artifact, cancellationToken).ConfigureAwait(false);
        var key = $"{artifact.TaskId}\n{artifact.Path}\n{url.GetLeftPart(UriPartial.Path)}";
        var gate = gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var name = NameFor(key);
            if (loaded.TryGetValue(key, out var id) && await store.TryLeaseLoadedAsync(id, name, cancellationToken).ConfigureAwait(false) is { } cached)
            {
                task.Log.WriteLine($"Using the image {ImageStore.ShortId(id)}, loaded on this worker from {artifact}, which the queue lets this task read.");
                return cached;
            }

            id = await DownloadAndLoadAsync(artifact, url, task.Log, cancellationToken).ConfigureAwait(false);
            await client.Images.TagImageAsync(id, new ImageTagParameters { RepositoryName = Repository, Tag = name[(Repository.Length + 1)..] }, cancellationToken).ConfigureAwait(false);
            loaded[key] = id;
            return await store.TryLeaseLoadedAsync(id, name, cancellationToken).ConfigureAwait(false)
                ?? throw new NonFatalInternalException($"The image {ImageStore.ShortId(id)} loaded from {artifact} was removed from the daemon at once.");
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        api.Dispose();
        downloads.Dispose();
    }

    /// <summary>The engine's own name for an image loaded from one source: the daemon keeps it, and eviction removes it by that name.</summary>
    private static string NameFor(string key) =>
        $"{Repository}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32]}";

    private static async Task<string> FindIndexedAsync(IndexClient index, ImageArtifact artifact, CancellationToken cancellationToken)
    {
        try
        {
            return (await index.FindTaskAsync(artifact.Namespace!, cancellationToken).ConfigureAwait(false)).TaskId;
        }
        catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MalformedPayloadException($"payload.image.namespace: no task is indexed at '{artifact.Namespace}' (or it has expired).");
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new MalformedPayloadException($"payload.image.namespace: this task may not look up '{artifact.Namespace}' in the index: its scopes lack index:find-task:{artifact.Namespace}.");
        }
        catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new MalformedPayloadException($"payload.image.namespace: the index refuses '{artifact.Namespace}': {e.Message}");
        }
        catch (TaskclusterException e)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"The index could not be asked for the image's task at '{artifact.Namespace}': {e.Message}");
        }
    }

    /// <summary>Asks the queue, with the task's scopes, where the latest run's artifact is.</summary>
    private static async Task<Uri> LocateAsync(QueueClient queue, ImageArtifact artifact, CancellationToken cancellationToken)
    {
        try
        {
            var location = await queue.GetLatestArtifactAsync(artifact.TaskId!, artifact.Path, cancellationToken).ConfigureAwait(false);
            return Uri.TryCreate(location.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
                ? url
                : throw new MalformedPayloadException($"payload.image: {artifact} is not content this worker can download (a {location.StorageType} artifact).");
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new MalformedPayloadException($"payload.image: this task may not read {artifact}: its scopes lack queue:get-artifact:{artifact.Path}.");
        }
        catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MalformedPayloadException($"payload.image: {artifact} does not exist (the queue answered: {e.Message}).");
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.FailedDependency or HttpStatusCode.BadRequest)
        {
            throw new MalformedPayloadException($"payload.image: {artifact} cannot be read: {e.Message}");
        }
        catch (TaskclusterException e)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"The queue could not be asked for {artifact}: {e.Message}");
        }
    }

    private async Task<string> DownloadAndLoadAsync(ImageArtifact artifact, Uri url, ITaskLog log, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(settings.PullTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        var file = storage.NewFilePath("docker-image");
        try
        {
            var size = await DownloadAsync(artifact, url, file, log, linked.Token).ConfigureAwait(false);
            log.WriteLine($"Loading the image from {artifact} ({size / 1024} KiB) into the Docker daemon.");
            string id;
            try
            {
                id = await ImageArchive.LoadAsync(client, file, linked.Token).ConfigureAwait(false);
            }
            catch (ImageArchiveException e)
            {
                throw new MalformedPayloadException($"payload.image: {artifact} is not a loadable image (a docker save tarball or an OCI image layout, plain or .gz, .zst, .lz4): {e.Message}.");
            }

            log.WriteLine($"Loaded the image {ImageStore.ShortId(id)} from {artifact}.");
            return id;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"Downloading and loading {artifact} took longer than the pull timeout of {settings.PullTimeout.TotalSeconds:0} seconds (engines.docker.pullTimeoutSeconds).");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<long> DownloadAsync(ImageArtifact artifact, Uri url, string file, ITaskLog log, CancellationToken cancellationToken)
    {
        log.WriteLine($"Downloading the image from {artifact}.");
        try
        {
            using var response = await downloads.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 400 and < 500)
            {
                throw new MalformedPayloadException($"payload.image: the content of {artifact} cannot be downloaded: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            response.EnsureSuccessStatusCode();
            var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var target = new FileStream(file, options);
            await using (source.ConfigureAwait(false))
            await using (target.ConfigureAwait(false))
            {
                await source.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
                return target.Length;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"Downloading {artifact} failed: {e.Message}");
        }
    }
}
