using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The volumes attached to one process sandbox, inside its task directory. A writable mount is a symbolic
/// link to the volume's folder (or the file or folder <see cref="VolumeMount.SubPath"/> names in it), so
/// the task writes into the volume itself and the next task sees it. A read-only mount is a copy
/// (<see cref="ReadOnlyCopy"/>): nothing the task does reaches the volume. With a task user, the volume's
/// content is handed to that user for the run and back to the worker's user when the run ends, before the
/// user is deleted. Where the store maps ids (<see cref="VolumeStore.MapsIds"/>), a writable mount for a task
/// user is an idmapped bind mount instead (<see cref="IdMappedMounts"/>): the task sees the volume as its
/// own, nothing changes owner on disk, and the mount is detached when the run ends. Each volume is held from
/// <see cref="Add"/> until <see cref="Release"/>. Thread-safe.
/// </summary>
internal sealed class VolumeMounts(VolumeStore store, TaskWorkspace workspace)
{
    private readonly List<Attached> mounts = [];
    private readonly List<HostVolume> given = [];
    private readonly List<string> mapped = [];
    private Microsoft.Win32.SafeHandles.SafeFileHandle? mapping;
    private bool mounted;

    /// <summary>Checks a mount and takes its volume for this sandbox.</summary>
    /// <exception cref="ArgumentException">The volume was not created by this engine.</exception>
    /// <exception cref="MalformedPayloadException">The mount point is not inside the task directory, nests with another, or the sub-path is not relative.</exception>
    /// <exception cref="NamingConflictException">The mount point is taken.</exception>
    /// <exception cref="InvalidOperationException">Another sandbox holds the volume, or this one has started.</exception>
    public void Add(VolumeMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        if (mount.Volume is not HostVolume volume || !volume.BelongsTo(store))
        {
            throw new ArgumentException("The volume was not created by this engine.", nameof(mount));
        }

        var path = MountPath(mount.MountPoint);
        if (mount.SubPath is { } subPath)
        {
            Parse(subPath, () => $"The sub-path '{subPath}' of the volume '{volume.Id}' is not a relative path inside the volume.");
        }

        lock (mounts)
        {
            if (mounted)
            {
                throw new InvalidOperationException("The sandbox was already started.");
            }

            foreach (var other in mounts)
            {
                if (other.Path == path)
                {
                    throw new NamingConflictException("mount point", mount.MountPoint);
                }

                if (path.StartsWith(other.Path + "/", StringComparison.Ordinal) || other.Path.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    throw new MalformedPayloadException($"The mount points '{other.Path}' and '{path}' are nested: a volume cannot be mounted inside another.");
                }
            }

            volume.Acquire(this);
            mounts.Add(new Attached(path, volume, mount.ReadOnly, mount.SubPath));
        }
    }

    /// <summary>Makes every mount appear in the task directory; the task has not started yet.</summary>
    /// <exception cref="MalformedPayloadException">A sub-path is not in its volume, or a mount point exists already.</exception>
    public void Mount(CancellationToken cancellationToken)
    {
        Attached[] all;
        lock (mounts)
        {
            mounted = true;
            all = [.. mounts];
        }

        var user = workspace.User is { Uid: { } uid, Gid: { } gid } ? (Uid: uid, Gid: gid) : ((int Uid, int Gid)?)null;
        try
        {
            foreach (var mount in all)
            {
                var source = Source(mount);
                var (folder, name) = VolumePath.ResolveParent(workspace.Directory, mount.Path, path => CreateTaskFolder(path, user));
                var at = Path.Combine(folder, name);
                if (UnixFiles.TryStatus(at) is not null)
                {
                    throw new MalformedPayloadException($"The mount point '{mount.Path}' already exists in the task directory.");
                }

                if (mount.ReadOnly)
                {
                    ReadOnlyCopy.Copy(source, at, user is not null, user is null ? [] : mount.Volume.FindForeignFiles(cancellationToken), cancellationToken);
                    continue;
                }

                if (user is { } mappedUser && store.MapsIds)
                {
                    MountMapped(mount.Volume, source, at, mappedUser, cancellationToken);
                    continue;
                }

                File.CreateSymbolicLink(at, Path.GetRelativePath(folder, source));
                if (user is { } owner)
                {
                    UnixFiles.SetOwner(at, owner.Uid, owner.Gid);
                }
            }

            if (user is { } taskUser && !store.MapsIds)
            {
                foreach (var volume in all.Where(m => !m.ReadOnly).Select(m => m.Volume).Distinct())
                {
                    given.Add(volume);
                    volume.GiveTo(taskUser.Uid, taskUser.Gid, cancellationToken);
                }
            }
        }
        catch
        {
            Unmount(null);
            throw;
        }
    }

    /// <summary>Hands the volumes back to the worker's user once every process of the task is gone; a volume that cannot be is emptied.</summary>
    /// <param name="log">Where a failure is reported, if anywhere.</param>
    public void Unmount(ITaskLog? log)
    {
        for (var i = mapped.Count - 1; i >= 0; i--)
        {
            IdMappedMounts.Detach(mapped[i]);
        }

        mapped.Clear();
        mapping?.Dispose();
        mapping = null;
        if (workspace.User?.Uid is not { } uid)
        {
            return;
        }

        foreach (var volume in given)
        {
            try
            {
                volume.TakeBack(uid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log?.WriteErrorLine($"The volume '{volume.Id}' could not be handed back to the worker's user ({e.Message}); it is emptied.");
                volume.Clear();
            }
        }

        given.Clear();
    }

    /// <summary>Gives every volume back, so that other sandboxes may attach them.</summary>
    public void Release()
    {
        lock (mounts)
        {
            foreach (var mount in mounts)
            {
                mount.Volume.Release(this);
            }
        }
    }

    /// <summary>
    /// Mounts a writable volume for the task user, idmapped: the volume's content is first handed to the rest
    /// owner (once in its life), then appears at <paramref name="at"/> as the task user's own.
    /// </summary>
    private void MountMapped(HostVolume volume, string source, string at, (int Uid, int Gid) user, CancellationToken cancellationToken)
    {
        volume.HandToRestOwner(cancellationToken);
        mapping ??= IdMappedMounts.CreateMapping(user.Uid, user.Gid);
        if (UnixFiles.TryStatus(source) is { Kind: EntryKind.Directory })
        {
            UnixFiles.CreateFolder(at, HostVolume.OwnerFolderMode);
        }
        else
        {
            File.Create(at).Dispose();
        }

        mapped.Add(at);
        IdMappedMounts.Mount(source, at, mapping, readOnly: false);
    }

    private static string[] Parse(string path, Func<string> problem)
    {
        try
        {
            return VolumePath.Split(path);
        }
        catch (Exception e) when (e is PathEscapesSandboxException or ArgumentException)
        {
            throw new MalformedPayloadException(problem());
        }
    }

    private static void CreateTaskFolder(string path, (int Uid, int Gid)? user)
    {
        Directory.CreateDirectory(path);
        if (user is { } owner)
        {
            UnixFiles.SetOwner(path, owner.Uid, owner.Gid);
        }
    }

    /// <summary>A mount point relative to the task directory, with <c>/</c> separators.</summary>
    private string MountPath(string mountPoint)
    {
        ArgumentNullException.ThrowIfNull(mountPoint);
        var relative = mountPoint;
        if (mountPoint.StartsWith('/'))
        {
            var top = workspace.Directory.TrimEnd('/') + "/";
            relative = mountPoint.StartsWith(top, StringComparison.Ordinal)
                ? mountPoint[top.Length..]
                : throw new MalformedPayloadException(
                    $"The mount point '{mountPoint}' is outside the task directory: this engine mounts volumes only inside it (a path relative to it, or an absolute path below {workspace.Directory}).");
        }

        return string.Join('/', Parse(relative, () => $"The mount point '{mountPoint}' is not a path inside the task directory."));
    }

    /// <summary>The file or folder of the volume to mount, resolved inside it.</summary>
    private static string Source(Attached mount)
    {
        if (mount.SubPath is not { } subPath)
        {
            return mount.Volume.Path;
        }

        try
        {
            return VolumePath.ResolveAll(mount.Volume.Path, subPath);
        }
        catch (PathEscapesSandboxException)
        {
            throw new MalformedPayloadException($"The sub-path '{subPath}' leads outside the volume '{mount.Volume.Id}'.");
        }
        catch (Exception e) when (e is ResourceNotFoundException or IOException)
        {
            throw new MalformedPayloadException($"The sub-path '{subPath}' is not in the volume '{mount.Volume.Id}'.");
        }
    }

    private sealed record Attached(string Path, HostVolume Volume, bool ReadOnly, string? SubPath);
}
