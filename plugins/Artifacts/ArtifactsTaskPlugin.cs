using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Taskcluster;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Artifacts;

/// <summary>Uploads one task's artifacts from its result set, a bounded number at a time.</summary>
internal sealed class ArtifactsTaskPlugin(ITaskContext task, ITaskEngine engine, IReadOnlyList<ArtifactEntry> entries, int concurrency, BucketStore? bucket, string? temporaryFolder) : ITaskPlugin
{
    private readonly List<IVolume> volumes = [];
    private int failures;

    /// <summary>Mounts an empty volume at the path of each <c>volume</c> artifact, so the folder exists when the task starts.</summary>
    public async Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        foreach (var entry in entries.Where(e => e.Volume))
        {
            if (!engine.Capabilities.Supports(EngineFeatures.Volumes))
            {
                throw new MalformedPayloadException($"$.artifacts['{entry.Name}'].type: the engine '{engine.Name}' has no volumes, so this worker cannot make a volume artifact; use type directory");
            }

            var volume = await engine.CreateVolumeAsync(new VolumeOptions(), cancellationToken).ConfigureAwait(false);
            volumes.Add(volume);
            try
            {
                builder.AttachVolume(new VolumeMount { MountPoint = entry.Path, Volume = volume });
            }
            catch (MalformedPayloadException e)
            {
                throw new MalformedPayloadException(e.Messages.Select(m => $"$.artifacts['{entry.Name}'].path: {m}"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var volume in volumes)
        {
            await volume.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var uploads = new List<Task>();
        foreach (var entry in entries)
        {
            if (!entry.IsDirectory)
            {
                uploads.Add(Limited(slots, () => UploadFileAsync(entry, entry.Name, ct => result.OpenFileAsync(entry.Path, ct), cancellationToken), cancellationToken));
                continue;
            }

            try
            {
                await foreach (var file in result.EnumerateFolderAsync(entry.Path, cancellationToken).ConfigureAwait(false))
                {
                    var name = $"{entry.Name.TrimEnd('/')}/{file.RelativePath}";
                    if (!ArtifactNames.IsValid(name))
                    {
                        // No error artifact either: it would need the same name. The folder's other files still go.
                        Report(entry, ArtifactNames.Quote(name), $"not uploaded, because {ArtifactNames.Rule}");
                        continue;
                    }

                    if (file.EscapesSandbox)
                    {
                        uploads.Add(ErrorAsync(entry, name, ArtifactErrorReason.InvalidResourceOnWorker, $"'{entry.Path}/{file.RelativePath}' leads outside the task directory; it was not uploaded", cancellationToken));
                        continue;
                    }

                    uploads.Add(Limited(slots, () => UploadFileAsync(entry, name, file.OpenAsync, cancellationToken), cancellationToken));
                }
            }
            catch (ResourceNotFoundException)
            {
                uploads.Add(ErrorAsync(entry, entry.Name, ArtifactErrorReason.FileMissingOnWorker, $"The folder '{entry.Path}' does not exist", cancellationToken));
            }
            catch (PathEscapesSandboxException)
            {
                uploads.Add(ErrorAsync(entry, entry.Name, ArtifactErrorReason.InvalidResourceOnWorker, $"'{entry.Path}' leads outside the task directory; it was not uploaded", cancellationToken));
            }
        }

        await Task.WhenAll(uploads).ConfigureAwait(false);
        return Volatile.Read(ref failures) == 0;
    }

    private static async Task Limited(SemaphoreSlim slots, Func<Task> upload, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await upload().ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task UploadFileAsync(ArtifactEntry entry, string name, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        Stream first;
        try
        {
            // Opened once up front to tell a missing or escaping file from an upload error.
            first = await open(cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException)
        {
            await ErrorAsync(entry, name, ArtifactErrorReason.FileMissingOnWorker, $"The file '{entry.Path}' does not exist", cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (PathEscapesSandboxException)
        {
            await ErrorAsync(entry, name, ArtifactErrorReason.InvalidResourceOnWorker, $"'{entry.Path}' leads outside the task directory; it was not uploaded", cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (UnauthorizedAccessException e)
        {
            await ErrorAsync(entry, name, ArtifactErrorReason.FileNotReadableOnWorker, $"The file '{entry.Path}' cannot be read: {e.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }

        var handed = false;
        Task<Stream> Open(CancellationToken ct)
        {
            if (!handed)
            {
                handed = true;
                return Task.FromResult(first);
            }

            return open(ct);
        }

        try
        {
            if (bucket is not null)
            {
                handed = true;
                await using (first.ConfigureAwait(false))
                {
                    await UploadToBucketAsync(bucket, entry, name, first, cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            var upload = new ArtifactUpload
            {
                Name = name,
                ContentType = entry.ContentType ?? ContentTypes.FromPath(name),
                ContentEncoding = entry.ContentEncoding,
                Expires = entry.Expires,
                ContentLength = first.CanSeek ? first.Length : null,
            };
            await task.Artifacts.UploadAsync(upload, Open, cancellationToken).ConfigureAwait(false);
            task.Log.WriteLine($"Uploaded artifact {name}");
        }
        finally
        {
            if (!handed)
            {
                await first.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task UploadToBucketAsync(BucketStore store, ArtifactEntry entry, string name, Stream content, CancellationToken cancellationToken)
    {
        var contentType = entry.ContentType ?? ContentTypes.FromPath(name);
        var encoding = ArtifactEncoding.Choose(name, contentType, entry.ContentEncoding);
        var key = store.KeyFor(task.TaskId, task.RunId, name);
        int parts;
        if (encoding == ArtifactEncoding.Gzip)
        {
            var compressed = await ArtifactEncoding.CompressToTemporaryFileAsync(content, temporaryFolder, cancellationToken).ConfigureAwait(false);
            await using (compressed.ConfigureAwait(false))
            {
                parts = await store.UploadAsync(key, compressed, contentType, encoding, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            parts = await store.UploadAsync(key, content, contentType, null, cancellationToken).ConfigureAwait(false);
        }

        await task.Artifacts.CreateReferenceAsync(name, store.UrlFor(key), contentType, entry.Expires, cancellationToken).ConfigureAwait(false);
        var how = encoding == ArtifactEncoding.Gzip ? " (gzip)" : string.Empty;
        task.Log.WriteLine(parts == 1 ? $"Uploaded artifact {name} to the bucket{how}" : $"Uploaded artifact {name} to the bucket in {parts} parts{how}");
    }

    private async Task ErrorAsync(ArtifactEntry entry, string name, ArtifactErrorReason reason, string message, CancellationToken cancellationToken)
    {
        Report(entry, name, message);
        await task.Artifacts.CreateErrorAsync(name, reason, message, entry.Expires, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tells the task log why an artifact is missing; unless the entry is optional, the task then fails.</summary>
    private void Report(ArtifactEntry entry, string name, string message)
    {
        if (entry.Optional)
        {
            task.Log.WriteLine($"Optional artifact {name} skipped: {message}");
        }
        else
        {
            Interlocked.Increment(ref failures);
            task.Log.WriteErrorLine($"Artifact {name}: {message}");
        }
    }
}
