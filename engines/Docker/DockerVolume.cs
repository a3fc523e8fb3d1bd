using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>
/// A Docker named volume, labelled with the worker's identity (so a restarted worker removes what a
/// crashed one left). Attached to one sandbox at a time; disposing it removes the volume. Thread-safe.
/// </summary>
internal sealed class DockerVolume(DockerEngine engine, string id, string name) : IVolume
{
    private readonly Lock gate = new();
    private object? holder;
    private int disposed;

    public string Id { get; } = id;

    /// <summary>The Docker volume's name.</summary>
    public string Name { get; } = name;

    public DockerEngine Engine { get; } = engine;

    /// <summary>
    /// Checks a volume's id and settings (they usually come from a task: a cache name): an id outside
    /// <c>[A-Za-z0-9._-]</c> or any setting (the engine takes none) is malformed. Returns the id to use.
    /// </summary>
    public static string CheckOptions(VolumeOptions options)
    {
        if (options.Id is { } given && (given.Length is 0 or > 200 || !given.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            throw new MalformedPayloadException($"'{given}' is not a volume id the docker engine can use (letters, digits, '.', '_' and '-').");
        }

        if (options.Config.Properties().FirstOrDefault() is { } setting)
        {
            throw new MalformedPayloadException($"The docker engine's volumes take no settings; '{setting.Name}' is not one it knows.");
        }

        return options.Id ?? Guid.NewGuid().ToString("N")[..12];
    }

    public static async Task<DockerVolume> CreateAsync(DockerEngine engine, VolumeOptions options, CancellationToken cancellationToken)
    {
        var id = CheckOptions(options);
        var name = $"tcw-{id}-{Guid.NewGuid().ToString("N")[..8]}";
        var volume = new DockerVolume(engine, id, name);
        engine.ClaimVolumeId(id);
        try
        {
            await engine.Client.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Labels = DockerLabels.ForWorker(engine.Identity) }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            engine.ReleaseVolumeId(id);
            throw;
        }

        return volume;
    }

    /// <summary>Marks the volume as held by <paramref name="owner"/>; throws while another owner holds it.</summary>
    public void Acquire(object owner)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed != 0, this);
            if (holder is not null && !ReferenceEquals(holder, owner))
            {
                throw new InvalidOperationException($"The volume '{Id}' is attached to a sandbox that has not been disposed yet.");
            }

            holder = owner;
        }
    }

    /// <summary>Passes the volume from one owner to the next (the builder to its sandbox).</summary>
    public void Transfer(object from, object to)
    {
        lock (gate)
        {
            if (ReferenceEquals(holder, from))
            {
                holder = to;
            }
        }
    }

    public void Release(object owner)
    {
        lock (gate)
        {
            if (ReferenceEquals(holder, owner))
            {
                holder = null;
            }
        }
    }

    /// <summary>Sums the sizes of the files under the volume's mount point when the daemon is on this machine; 0 when it cannot be reached.</summary>
    public async Task<long> GetSizeAsync(CancellationToken cancellationToken = default)
    {
        var volume = await Engine.Client.Volumes.InspectAsync(Name, cancellationToken).ConfigureAwait(false);
        if (Engine.Settings.Endpoint.Scheme != "unix" || string.IsNullOrEmpty(volume.Mountpoint) || !Directory.Exists(volume.Mountpoint))
        {
            return 0;
        }

        return await Task.Run(() => new DirectoryInfo(volume.Mountpoint)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Sum(f => f.Length), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Engine.Client.Volumes.RemoveAsync(Name, true).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
        finally
        {
            Engine.ReleaseVolumeId(Id);
        }
    }
}
