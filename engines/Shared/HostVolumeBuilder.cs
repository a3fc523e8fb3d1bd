using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Writes the initial content of a host volume, straight into its folder: no task can reach the folder
/// before the volume is built, so paths are resolved here, inside the volume (<see cref="VolumePath"/>),
/// and a link written earlier is never followed outside it. Files default to 644 and folders to 755;
/// set-id bits are dropped. Folder times are set when the volume is built, after their content. One
/// writer at a time.
/// </summary>
internal sealed class HostVolumeBuilder(HostVolume volume) : IVolumeBuilder
{
    private const UnixFileMode DefaultFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DefaultFolderMode = DefaultFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private readonly Dictionary<string, DateTimeOffset> folderTimes = new(StringComparer.Ordinal);
    private HostVolume? building = volume;

    private string Root => (building ?? throw new ObjectDisposedException(nameof(HostVolumeBuilder))).Path;

    public Task WriteFolderAsync(string path, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var folder = VolumePath.ResolveAll(Root, path, CreateFolder);
        if (options?.Mode is { } mode)
        {
            UnixFiles.SetMode(folder, Allowed(mode));
        }

        if (options?.LastWriteTime is { } time)
        {
            folderTimes[folder] = time;
        }

        return Task.CompletedTask;
    }

    public async Task WriteFileAsync(string path, Stream content, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        cancellationToken.ThrowIfCancellationRequested();
        var file = Replace(path);
        var mode = Allowed(options?.Mode ?? DefaultFileMode);
        var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write });
        await using (stream.ConfigureAwait(false))
        {
            await content.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        UnixFiles.SetMode(file, mode);
        if (options?.LastWriteTime is { } time)
        {
            UnixFiles.SetLastWriteTime(file, time);
        }
    }

    public Task WriteSymbolicLinkAsync(string path, string target, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (target.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The link target of '{path}' holds a NUL character.", nameof(target));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var link = Replace(path);
        File.CreateSymbolicLink(link, target);
        if (options?.LastWriteTime is { } time)
        {
            UnixFiles.SetLastWriteTime(link, time);
        }

        return Task.CompletedTask;
    }

    public Task WriteHardLinkAsync(string path, string existingPath, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (folder, name) = VolumePath.ResolveParent(Root, existingPath);
        var existing = Path.Combine(folder, name);
        if (UnixFiles.TryStatus(existing) is not { Kind: EntryKind.Regular })
        {
            throw new ResourceNotFoundException(existingPath);
        }

        UnixFiles.HardLink(existing, Replace(path));
        return Task.CompletedTask;
    }

    public Task<IVolume> BuildAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = Root;

        // Deepest first, and after everything is written: writing into a folder changes its time.
        foreach (var (folder, time) in folderTimes.OrderByDescending(f => f.Key.Length))
        {
            UnixFiles.SetLastWriteTime(folder, time);
        }

        var built = building!;
        building = null;
        return Task.FromResult<IVolume>(built);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref building, null) is { } discarded)
        {
            await discarded.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static UnixFileMode Allowed(UnixFileMode mode) => mode & ~EntryStatus.SetIdBits & (EntryStatus.PermissionBits | UnixFileMode.StickyBit);

    private static void CreateFolder(string path)
    {
        UnixFiles.CreateFolder(path, DefaultFolderMode);
    }

    /// <summary>Resolves the folder of a new entry (creating it), and removes what stands at its place unless that is a folder.</summary>
    private string Replace(string path)
    {
        var (folder, name) = VolumePath.ResolveParent(Root, path, CreateFolder);
        var full = Path.Combine(folder, name);
        switch (UnixFiles.TryStatus(full))
        {
            case { Kind: EntryKind.Directory }:
                throw new IOException($"'{path}' is a folder in the volume; it cannot be replaced by a file or a link.");
            case not null:
                File.Delete(full);
                break;
        }

        return full;
    }
}
