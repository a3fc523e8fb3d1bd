namespace TcWorker.Engines.Shared;

/// <summary>
/// A volume that is a folder of the host (mode 700, owned by the worker's user while no task holds it),
/// attached to one sandbox at a time. Thread-safe.
/// </summary>
internal sealed class HostVolume : IVolume
{
    /// <summary>700: the mode of a volume's folder.</summary>
    public const UnixFileMode OwnerFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The name of a volume's folder inside its holder, when the store maps ids.</summary>
    public const string ContentFolder = "content";

    private readonly VolumeStore store;
    private object? holder;
    private int disposed;

    public HostVolume(VolumeStore store, string id, string path)
    {
        this.store = store;
        Id = id;
        Path = path;
    }

    public string Id { get; }

    /// <summary>The folder that holds the volume's content.</summary>
    public string Path { get; }

    /// <summary>Whether writable mounts of this volume are idmapped (<see cref="VolumeStore.MapsIds"/>).</summary>
    public bool MapsIds => store.MapsIds;

    /// <summary>
    /// Makes what the worker's user owns in the volume belong to <see cref="VolumeStore.RestOwnerId"/>, before
    /// its first idmapped mount: once for a volume created empty (its folder alone) or built with content, and
    /// again only after <see cref="Clear"/>. Files with hard links outside the volume keep their owner.
    /// </summary>
    /// <exception cref="IOException">An owner cannot be changed.</exception>
    public void HandToRestOwner(CancellationToken cancellationToken)
    {
        if (UnixFiles.TryStatus(Path) is { } top && top.Uid == VolumeStore.RestOwnerId)
        {
            return;
        }

        var (self, _) = UnixFiles.Self();
        ChangeOwners(self, VolumeStore.RestOwnerId, VolumeStore.RestOwnerId, FindForeignFiles(cancellationToken), cancellationToken);
    }

    /// <summary>Whether <paramref name="engineStore"/> made this volume.</summary>
    public bool BelongsTo(VolumeStore engineStore) => ReferenceEquals(store, engineStore);

    /// <summary>Takes the volume for <paramref name="sandbox"/>; throws while another holds it, and once it is disposed.</summary>
    /// <exception cref="InvalidOperationException">Another sandbox that has not been disposed holds it.</exception>
    /// <exception cref="ObjectDisposedException">The volume was disposed.</exception>
    public void Acquire(object sandbox)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (Interlocked.CompareExchange(ref holder, sandbox, null) is { } other && other != sandbox)
        {
            throw new InvalidOperationException($"The volume '{Id}' is attached to another sandbox that has not been disposed.");
        }
    }

    /// <summary>Gives the volume back, if <paramref name="sandbox"/> holds it.</summary>
    public void Release(object sandbox) => Interlocked.CompareExchange(ref holder, null, sandbox);

    /// <summary>
    /// Hands what the worker's user owns in the volume (the volume's folder included) to a task user, so
    /// that the task may change it; set-id bits are dropped on the way. A file with hard links outside the
    /// volume keeps its owner (see <see cref="FindForeignFiles"/>).
    /// </summary>
    /// <exception cref="IOException">An owner cannot be changed.</exception>
    public void GiveTo(int uid, int gid, CancellationToken cancellationToken)
    {
        var (self, _) = UnixFiles.Self();
        ChangeOwners(self, uid, gid, FindForeignFiles(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Hands what the task user <paramref name="uid"/> owns in the volume back to the worker's user, before
    /// that user is deleted and its id can go to another task. Set-id bits are dropped on the way: a file
    /// the task made set-user-id must not become a set-user-id file of the worker's user.
    /// </summary>
    /// <exception cref="IOException">An owner cannot be changed.</exception>
    public void TakeBack(int uid)
    {
        var (self, selfGroup) = UnixFiles.Self();
        ChangeOwners(uid, self, selfGroup, [], CancellationToken.None);

        // The task may have opened the volume's folder to others; at rest only the worker's user may enter it.
        UnixFiles.SetMode(Path, OwnerFolderMode);
    }

    /// <summary>
    /// The files of the volume that have hard links outside it (device and inode). A task that could link a
    /// file it does not own into the volume (where <c>fs.protected_hardlinks</c> is off) must not get it
    /// handed to the next task user, nor copied readable for one: such files are left alone.
    /// </summary>
    public HashSet<(ulong Device, ulong Inode)> FindForeignFiles(CancellationToken cancellationToken)
    {
        var linked = new Dictionary<(ulong, ulong), (uint Links, uint Seen)>();
        FileTreeWalk.Walk(
            Path,
            (_, _, status) =>
            {
                if (status.Kind == EntryKind.Regular && status.Links > 1)
                {
                    var key = (status.Device, status.Inode);
                    linked[key] = (status.Links, (linked.TryGetValue(key, out var known) ? known.Seen : 0) + 1);
                }
            },
            cancellationToken);
        return [.. linked.Where(l => l.Value.Seen < l.Value.Links).Select(l => l.Key)];
    }

    /// <summary>Empties the volume (after its content could not be handed back to the worker's user).</summary>
    public void Clear()
    {
        TaskWorkspace.DeleteTree(Path);
        UnixFiles.CreateFolder(Path, OwnerFolderMode);
    }

    public Task<long> GetSizeAsync(CancellationToken cancellationToken = default) => Task.Run(
        () =>
        {
            var seen = new HashSet<(ulong, ulong)>();
            var blocks = UnixFiles.TryStatus(Path)?.Blocks ?? 0;
            FileTreeWalk.Walk(
                Path,
                (_, _, status) =>
                {
                    if (status.Links <= 1 || status.Kind == EntryKind.Directory || seen.Add((status.Device, status.Inode)))
                    {
                        blocks += status.Blocks;
                    }
                },
                cancellationToken);
            return blocks * 512;
        },
        cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            TaskWorkspace.DeleteTree(store.MapsIds ? System.IO.Path.GetDirectoryName(Path)! : Path);
            store.Forget(Id);
        }

        return ValueTask.CompletedTask;
    }

    private void ChangeOwners(int from, int uid, int gid, HashSet<(ulong Device, ulong Inode)> foreign, CancellationToken cancellationToken)
    {
        if (UnixFiles.TryStatus(Path) is { } top && top.Uid == from)
        {
            UnixFiles.SetOwner(Path, uid, gid);
        }

        FileTreeWalk.Walk(
            Path,
            (folder, name, status) =>
            {
                if (status.Uid != from || foreign.Contains((status.Device, status.Inode)))
                {
                    return;
                }

                UnixFiles.SetOwnerAt(folder, name, uid, gid);
                if (status.Kind == EntryKind.Regular && (status.Mode & EntryStatus.SetIdBits) != 0)
                {
                    UnixFiles.SetModeAt(folder, name, status.Mode & ~EntryStatus.SetIdBits);
                }
            },
            cancellationToken);
    }
}
