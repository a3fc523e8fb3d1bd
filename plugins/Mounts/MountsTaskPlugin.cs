using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The mounts of one task: builds and attaches their volumes before the task starts, decides from the
/// task's end whether its caches are purged, and gives caches back (and disposes the task's own volumes)
/// once the sandbox is gone.
/// </summary>
internal sealed class MountsTaskPlugin(MountsPlugin plugin, TaskPluginOptions options, IReadOnlyList<MountRequest> requests, IReadOnlySet<long> purgeCodes) : ITaskPlugin
{
    /// <summary>Reasons that purge the task's caches: the task was stopped in the middle of its work.</summary>
    private static readonly ExceptionReason[] PurgingReasons =
        [ExceptionReason.Canceled, ExceptionReason.DeadlineExceeded, ExceptionReason.ClaimExpired, ExceptionReason.WorkerShutdown];

    private readonly List<CacheStore.Cache> caches = [];
    private readonly List<IVolume> volumes = [];
    private DateTimeOffset? started;
    private string? purgeBecause;

    private ITaskContext Task => options.Task;

    public async Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        if (requests.Any(r => r.Kind == MountKind.Cache))
        {
            await plugin.PurgeRequests.PollAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var request in requests)
        {
            try
            {
                var volume = request.Kind == MountKind.Cache
                    ? await TakeCacheAsync(request, cancellationToken).ConfigureAwait(false)
                    : await BuildAsync(request, cancellationToken).ConfigureAwait(false);
                builder.AttachVolume(new VolumeMount
                {
                    MountPoint = request.Target,
                    Volume = volume,
                    SubPath = request.Kind == MountKind.File ? FileName(request.Target) : null,
                });
            }
            catch (MalformedPayloadException e)
            {
                throw new MalformedPayloadException(e.Messages.Select(m => m.StartsWith("[mounts]", StringComparison.Ordinal) ? m : $"[mounts] {request.Label}: {m}"));
            }
            catch (TaskException e)
            {
                throw new TaskException(e.Reason, $"[mounts] {request.Label}: {e.Message}");
            }
        }
    }

    public Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
    {
        started = plugin.Time.GetUtcNow();
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        if (result.ExitCode is { } code && (purgeCodes.Contains(code) || purgeCodes.Contains(unchecked((uint)code))))
        {
            purgeBecause = $"exit code {code} is listed in onExitStatus.purgeCaches";
        }
        else if (started is { } start && Task.Task["payload"]?["maxRunTime"] is JValue { Type: JTokenType.Integer } maxRunTime && (long)maxRunTime is var limit
            && plugin.Time.GetUtcNow() - start >= TimeSpan.FromSeconds(limit))
        {
            purgeBecause = "the task exceeded its maxRunTime";
        }

        return System.Threading.Tasks.Task.FromResult(true);
    }

    public Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken)
    {
        if (started is not null && PurgingReasons.Contains(reason))
        {
            purgeBecause ??= $"the run was aborted ({reason.ToWireString()})";
        }

        return System.Threading.Tasks.Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in caches)
        {
            if (purgeBecause is not null)
            {
                MountsLog.CachePurged(plugin.Logger, cache.Name, Task.TaskId, purgeBecause);
            }

            await plugin.Caches.ReturnAsync(cache, purgeBecause is not null).ConfigureAwait(false);
        }

        foreach (var volume in volumes)
        {
            await volume.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<IVolume> TakeCacheAsync(MountRequest request, CancellationToken cancellationToken)
    {
        var engine = options.Engine.Name;
        if (plugin.Caches.TryTake(engine, request.CacheName!) is { } warm)
        {
            caches.Add(warm);
            Task.Log.WriteLine($"[mounts] {request.Label}: using the cache kept from an earlier task");
            return warm.Volume;
        }

        var volume = request.Content is null
            ? await options.Engine.CreateVolumeAsync(new VolumeOptions(), cancellationToken).ConfigureAwait(false)
            : await BuildAsync(request, cancellationToken, keep: false).ConfigureAwait(false);
        caches.Add(plugin.Caches.Add(engine, request.CacheName!, volume));
        Task.Log.WriteLine($"[mounts] {request.Label}: a new cache{(request.Content is null ? string.Empty : ", preloaded")}");
        return volume;
    }

    /// <summary>Builds a volume from the mount's content: the one file of a file mount, or the archive extracted. A failed build leaves nothing.</summary>
    private async Task<IVolume> BuildAsync(MountRequest request, CancellationToken cancellationToken, bool keep = true)
    {
        var content = request.Content!;
        using var fetched = await plugin.Fetcher.FetchAsync(content, Task, cancellationToken).ConfigureAwait(false);
        Task.Log.WriteLine($"[mounts] {request.Label}: {content.Label}{(fetched.Hit ? " (kept from an earlier download)" : string.Empty)}");
        var builder = await options.Engine.CreateVolumeBuilderAsync(new VolumeOptions(), cancellationToken).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            if (request.Kind == MountKind.File)
            {
                var stream = request.Format is { } compression
                    ? Formats.OpenDecompressed(fetched.Path, compression)
                    : new FileStream(fetched.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                await using (stream.ConfigureAwait(false))
                {
                    await WriteFileAsync(builder, FileName(request.Target), request.Format, stream, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var extractor = new ArchiveExtractor(builder);
                await extractor.ExtractAsync(fetched.Path, request.Format!, cancellationToken).ConfigureAwait(false);
                if (extractor.Skipped > 0)
                {
                    Task.Log.WriteLine($"[mounts] {request.Label}: {extractor.Skipped} device or FIFO entries of the archive were skipped");
                }
            }

            var volume = await builder.BuildAsync(cancellationToken).ConfigureAwait(false);
            if (keep)
            {
                volumes.Add(volume);
            }

            return volume;
        }
    }

    private static async Task WriteFileAsync(IVolumeBuilder builder, string name, string? format, Stream content, CancellationToken cancellationToken)
    {
        try
        {
            await builder.WriteFileAsync(name, content, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (format is not null && e is InvalidDataException or IOException or FormatException
            or SharpCompress.Common.ArchiveException or SharpCompress.Common.InvalidFormatException)
        {
            throw new MalformedPayloadException($"the content is not readable as {format} ({e.Message})");
        }
    }

    /// <summary>The name of the file a file mount makes: the last part of its path.</summary>
    private static string FileName(string target)
    {
        var name = target.TrimEnd('/').Split('/')[^1];
        return name is "" or "." or ".." ? throw new MalformedPayloadException($"the path '{target}' does not name a file") : name;
    }
}
