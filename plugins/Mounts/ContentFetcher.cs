using System.Net;
using System.Text;
using TcWorker.Errors;
using TcWorker.Taskcluster;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// Fetches the content of a mount into a local file: inline text and base64 into a temporary file,
/// everything else through the <see cref="DownloadCache"/>. Artifacts are fetched with the task's own
/// credentials, and the queue is asked again on every hit whether this task may read the artifact.
/// An indexed artifact is looked up in the index every time (an index path moves), then fetched as the
/// artifact of the task found. Thread-safe.
/// </summary>
internal sealed class ContentFetcher(DownloadCache downloads, HttpClient http, ITemporaryStorage storage)
{
    /// <summary>Fetches <paramref name="source"/>; the result's file is readable until it is disposed.</summary>
    /// <exception cref="MalformedPayloadException">The source does not exist, the task may not read it, or its hash is not the one given.</exception>
    /// <exception cref="TaskException">The source is unavailable for now (<c>resource-unavailable</c>).</exception>
    public async Task<FetchedContent> FetchAsync(ContentSource source, ITaskContext task, CancellationToken cancellationToken)
    {
        if (source.Raw is { } raw)
        {
            return await InlineAsync(Encoding.UTF8.GetBytes(raw), cancellationToken).ConfigureAwait(false);
        }

        if (source.Base64 is { } base64)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw new MalformedPayloadException("the content's base64 is not valid base64");
            }

            return await InlineAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        if (source.Url is { } url)
        {
            var lease = await downloads.GetAsync($"url:{url.AbsoluteUri}", source.Sha256, (target, t) => DownloadAsync(url, source.Label, target, t), source.Label, cancellationToken).ConfigureAwait(false);
            return new FetchedContent(lease.Path, lease.Hit, lease.Dispose);
        }

        using var client = new TaskclusterClient(new TaskclusterClientOptions
        {
            RootUrl = task.RootUrl,
            Credentials = new TaskclusterCredentials(task.Credentials.ClientId, task.Credentials.AccessToken, task.Credentials.Certificate),
            MaxRetries = 2,
        });
        var taskId = source.TaskId ?? await FindIndexedAsync(client, source, cancellationToken).ConfigureAwait(false);
        var artifact = source.Artifact!;

        // The queue decides, with the task's credentials, whether this task may read the artifact: on a
        // hit as much as on a miss, so a kept copy never reaches a task that could not download it.
        var location = await LocateAsync(client.Queue, taskId, artifact, source.Label, cancellationToken).ConfigureAwait(false);
        var kept = await downloads.GetAsync(
            $"task:{taskId}/{artifact}",
            source.Sha256,
            (target, t) => DownloadAsync(location, source.Label, target, t),
            source.Label,
            cancellationToken).ConfigureAwait(false);
        return new FetchedContent(kept.Path, kept.Hit, kept.Dispose);
    }

    private async Task<FetchedContent> InlineAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        var path = storage.NewFilePath("mount-inline");
        await File.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        return new FetchedContent(path, Hit: false, () => File.Delete(path));
    }

    private static async Task<string> FindIndexedAsync(TaskclusterClient client, ContentSource source, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.Index.FindTaskAsync(source.Namespace!, cancellationToken).ConfigureAwait(false)).TaskId;
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.NotFound)
        {
            throw new MalformedPayloadException($"no task is indexed at '{source.Namespace}'");
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new MalformedPayloadException($"the index refuses this task the lookup of '{source.Namespace}' ({e.Code}): it needs the scope index:find-task:{source.Namespace}");
        }
        catch (Exception e) when (e is TaskclusterException or HttpRequestException)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"the index could not be asked for '{source.Namespace}': {e.Message}");
        }
    }

    private static async Task<Uri> LocateAsync(QueueClient queue, string taskId, string artifact, string label, CancellationToken cancellationToken)
    {
        try
        {
            var found = await queue.GetLatestArtifactAsync(taskId, artifact, cancellationToken).ConfigureAwait(false);
            return new Uri(found.Url, UriKind.Absolute);
        }
        catch (TaskclusterException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new MalformedPayloadException($"the queue refuses this task the {label} ({e.Code}): a private artifact needs the scope queue:get-artifact:{artifact}");
        }
        catch (TaskclusterException e) when ((int?)e.StatusCode is 404 or 424)
        {
            throw new MalformedPayloadException($"the {label} does not exist or is an error artifact ({(int?)e.StatusCode})");
        }
        catch (Exception e) when (e is TaskclusterException or HttpRequestException or UriFormatException)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"the queue could not be asked for the {label}: {e.Message}");
        }
    }

    private async Task DownloadAsync(Uri url, string label, Stream target, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TaskException(ExceptionReason.ResourceUnavailable, $"the {label} could not be downloaded: {e.Message}");
        }

        using (response)
        {
            if ((int)response.StatusCode is >= 400 and < 500)
            {
                throw new MalformedPayloadException($"the {label} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new TaskException(ExceptionReason.ResourceUnavailable, $"the {label} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            await response.Content.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A mount's content as a local file, readable until disposed.</summary>
/// <param name="Path">The file.</param>
/// <param name="Hit">Whether it was kept from an earlier task.</param>
/// <param name="Done">Gives the file back.</param>
internal sealed record FetchedContent(string Path, bool Hit, Action Done) : IDisposable
{
    public void Dispose() => Done();
}
