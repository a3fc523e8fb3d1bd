using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Makes sure a task's image is on the daemon: used as it is when present (and, when pinned, with
/// the pinned digest), pulled from its registry otherwise, with the pull's progress in the task log,
/// retries on transient registry errors, and a time limit for the whole pull.
/// </summary>
internal sealed class ImageStore(DockerClient client, DockerSettings settings, IGarbageCollector collector, TimeProvider time)
{
    private readonly Dictionary<string, PulledImage> pulled = new(StringComparer.Ordinal);

    // Answers of a registry that no retry changes: the image is not there, or the worker may not have it.
    private static readonly string[] PermanentErrors =
    [
        "manifest unknown", "not found", "pull access denied", "unauthorized", "denied", "invalid reference",
        "does not exist", "repository name must", "no matching manifest", "name unknown", "authentication required",
    ];

    /// <summary>
    /// Returns the image and a lease that keeps the garbage collector from evicting it (a no-op for an
    /// image the engine did not pull); dispose the lease once the task's container exists.
    /// </summary>
    public async Task<(ImageInspectResponse Image, IDisposable Lease)> EnsureLeasedAsync(ImageReference image, ITaskLog log, CancellationToken cancellationToken)
    {
        var found = await EnsureAsync(image, log, cancellationToken).ConfigureAwait(false);
        lock (pulled)
        {
            return (found, pulled.TryGetValue(found.ID, out var tracked) ? tracked.Lease() : NoLease.Instance);
        }
    }

    /// <summary>Stops tracking every pulled image (the engine is going away; the images stay).</summary>
    public void UnregisterAll()
    {
        lock (pulled)
        {
            foreach (var image in pulled.Values)
            {
                collector.Unregister(image);
            }

            pulled.Clear();
        }
    }

    /// <summary>
    /// Returns the image, pulling it when needed. Throws <see cref="MalformedPayloadException"/> for an
    /// image the registry does not have or a digest that does not match, and <see cref="TaskException"/>
    /// (resource-unavailable) when the registry stays unreachable or the pull times out.
    /// </summary>
    public async Task<ImageInspectResponse> EnsureAsync(ImageReference image, ITaskLog log, CancellationToken cancellationToken)
    {
        if (await TryInspectAsync(image, cancellationToken).ConfigureAwait(false) is { } present && Matches(present, image))
        {
            log.WriteLine($"Using the image {image} ({ShortId(present.ID)}), already on this worker.");
            return present;
        }

        await PullAsync(image, log, cancellationToken).ConfigureAwait(false);
        var fetched = await TryInspectAsync(image, cancellationToken).ConfigureAwait(false)
            ?? throw new MalformedPayloadException($"payload.image: the image {image} was pulled from {image.Registry} but the daemon does not find it.");
        if (!Matches(fetched, image))
        {
            throw new MalformedPayloadException($"payload.image: the image {image} from {image.Registry} has the digests [{string.Join(", ", fetched.RepoDigests ?? [])}], not the pinned {image.Digest}.");
        }

        Track(fetched.ID, image.Reference);
        return fetched;
    }

    /// <summary>
    /// Leases an image the engine loaded from an artifact and tagged <paramref name="name"/>, tracking it for
    /// eviction from its first use; null when the daemon no longer has it (it was evicted).
    /// </summary>
    public async Task<(ImageInspectResponse Image, IDisposable Lease)?> TryLeaseLoadedAsync(string id, string name, CancellationToken cancellationToken)
    {
        var lease = Track(id, name).Lease();
        try
        {
            return (await client.Images.InspectImageAsync(id, cancellationToken).ConfigureAwait(false), lease);
        }
        catch (DockerImageNotFoundException)
        {
            lease.Dispose();
            return null;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>The tracked image of this id, registered with the collector when new (or back after an eviction).</summary>
    private PulledImage Track(string id, string name)
    {
        lock (pulled)
        {
            if (!pulled.TryGetValue(id, out var tracked) || tracked.Evicted)
            {
                tracked = new PulledImage(client, id, name, time);
                pulled[id] = tracked;
                collector.Register(tracked);
            }

            return tracked;
        }
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }

    private static bool Matches(ImageInspectResponse found, ImageReference image) =>
        image.Digest is null
        || string.Equals(found.ID, image.Digest, StringComparison.Ordinal)
        || (found.RepoDigests?.Contains($"{image.Repository}@{image.Digest}", StringComparer.Ordinal) ?? false);

    public static string ShortId(string? id) => id is { Length: > 19 } ? id[..19] : id ?? "?";

    private async Task<ImageInspectResponse?> TryInspectAsync(ImageReference image, CancellationToken cancellationToken)
    {
        try
        {
            return await client.Images.InspectImageAsync(image.Reference, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task PullAsync(ImageReference image, ITaskLog log, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(settings.PullTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        settings.Registries.TryGetValue(image.Registry, out var credentials);
        var auth = credentials is null ? null : new AuthConfig { Username = credentials.Username, Password = credentials.Password, ServerAddress = image.Registry };
        log.WriteLine($"Pulling the image {image} from {image.Registry}{(credentials is null ? string.Empty : " as " + credentials.Username)}.");
        for (var attempt = 0; ; attempt++)
        {
            var progress = new PullProgress(log, image);
            string? error;
            try
            {
                var parameters = new ImagesCreateParameters { FromImage = image.Repository, Tag = image.Digest ?? image.Tag ?? "latest" };
                await client.Images.CreateImageAsync(parameters, auth, progress, linked.Token).ConfigureAwait(false);
                error = progress.Error;
            }
            catch (DockerApiException e)
            {
                error = MessageOf(e);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TaskException(ExceptionReason.ResourceUnavailable, $"Pulling the image {image} took longer than the pull timeout of {settings.PullTimeout.TotalSeconds:0} seconds (engines.docker.pullTimeoutSeconds).");
            }

            if (error is null)
            {
                log.WriteLine($"Pulled the image {image}.");
                return;
            }

            if (PermanentErrors.Any(p => error.Contains(p, StringComparison.OrdinalIgnoreCase)))
            {
                throw new MalformedPayloadException($"payload.image: the image {image} cannot be pulled from {image.Registry}: {error}");
            }

            if (attempt >= settings.PullRetries)
            {
                throw new TaskException(ExceptionReason.ResourceUnavailable, $"The image {image} could not be pulled from {image.Registry} after {attempt + 1} attempts: {error}");
            }

            var delay = settings.PullRetryDelay * (1 << attempt);
            log.WriteLine($"Pulling the image {image} failed ({error}); retrying in {delay.TotalSeconds:0} seconds.");
            try
            {
                await Task.Delay(delay, time, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TaskException(ExceptionReason.ResourceUnavailable, $"Pulling the image {image} took longer than the pull timeout of {settings.PullTimeout.TotalSeconds:0} seconds (engines.docker.pullTimeoutSeconds); the last error: {error}");
            }
        }
    }

    /// <summary>The daemon's message in an error response (<c>{"message": "..."}</c>), or the body as it is.</summary>
    public static string MessageOf(DockerApiException e)
    {
        try
        {
            using var body = JsonDocument.Parse(e.ResponseBody ?? string.Empty);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? string.Empty;
            }
        }
        catch (JsonException)
        {
        }

        return string.IsNullOrWhiteSpace(e.ResponseBody) ? $"HTTP {(int)e.StatusCode}" : e.ResponseBody.Trim();
    }

    /// <summary>Writes one line per change of a layer's status (not every byte of progress), and keeps the error.</summary>
    private sealed class PullProgress(ITaskLog log, ImageReference image) : IProgress<JSONMessage>
    {
        private readonly Dictionary<string, string> statuses = new(StringComparer.Ordinal);

        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error is { Message: { } error })
            {
                Error = error;
                return;
            }

            if (string.IsNullOrEmpty(value.Status))
            {
                return;
            }

            lock (statuses)
            {
                var key = value.ID ?? string.Empty;
                if (statuses.TryGetValue(key, out var last) && last == value.Status)
                {
                    return;
                }

                statuses[key] = value.Status;
            }

            var size = value.Progress is { Total: > 0 } p ? $" ({p.Total / 1024} KiB)" : string.Empty;
            log.WriteLine(string.IsNullOrEmpty(value.ID) ? $"Pulling {image}: {value.Status}" : $"Pulling {image}: {value.ID}: {value.Status}{size}");
        }
    }
}
