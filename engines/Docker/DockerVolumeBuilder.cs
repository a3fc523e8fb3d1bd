using System.Formats.Tar;
using Docker.DotNet.Models;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Writes a volume's initial content into a tar file in the worker's temporary storage, then creates
/// the volume and has the daemon extract the tar into it (through a container of the engine's empty
/// helper image that never runs). Modes and times are kept as written; owners are not (the daemon
/// extracts as root, so EngineFeatures.VolumeOwners is not declared). Not thread-safe.
/// </summary>
internal sealed class DockerVolumeBuilder : IVolumeBuilder
{
    private const string MountPoint = "/volume";
    private readonly DockerEngine engine;
    private readonly VolumeOptions options;
    private readonly string tarPath;
    private readonly FileStream file;
    private readonly TarWriter writer;
    private readonly Dictionary<string, TarEntryType> written = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> links = new(StringComparer.Ordinal);
    private bool done;

    public DockerVolumeBuilder(DockerEngine engine, VolumeOptions options, string tarPath)
    {
        this.engine = engine;
        this.options = options;
        this.tarPath = tarPath;
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        file = new FileStream(tarPath, create);
        writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true);
    }

    public async Task WriteFolderAsync(string path, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var name = await PrepareAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteAsync(new PaxTarEntry(TarEntryType.Directory, name + "/"), options, (UnixFileMode)0x1ed, cancellationToken).ConfigureAwait(false);
        written[name] = TarEntryType.Directory;
    }

    public async Task WriteFileAsync(string path, Stream content, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var name = await PrepareAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = content }, options, (UnixFileMode)0x1a4, cancellationToken).ConfigureAwait(false);
        written[name] = TarEntryType.RegularFile;
    }

    public async Task WriteSymbolicLinkAsync(string path, string target, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        var name = await PrepareAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteAsync(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target }, options, (UnixFileMode)0x1ff, cancellationToken).ConfigureAwait(false);
        written[name] = TarEntryType.SymbolicLink;
        links[name] = target;
    }

    public async Task WriteHardLinkAsync(string path, string existingPath, CancellationToken cancellationToken = default)
    {
        var (inside, existing) = LinkWalker.Resolve(Normalize(existingPath), links, null);
        if (!inside)
        {
            throw new PathEscapesSandboxException(existingPath);
        }

        if (!written.TryGetValue(existing, out var kind) || kind != TarEntryType.RegularFile)
        {
            throw new ResourceNotFoundException(existingPath);
        }

        var name = await PrepareAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteAsync(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = existing }, null, (UnixFileMode)0x1a4, cancellationToken).ConfigureAwait(false);
        written[name] = TarEntryType.RegularFile;
    }

    public async Task<IVolume> BuildAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(done, this);
        done = true;
        await writer.DisposeAsync().ConfigureAwait(false);
        var volume = await DockerVolume.CreateAsync(engine, options, cancellationToken).ConfigureAwait(false);
        try
        {
            var image = await engine.HelperImageAsync(cancellationToken).ConfigureAwait(false);
            var helper = await engine.Client.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = image,
                Cmd = ["/never-run"],
                Labels = DockerLabels.ForWorker(engine.Identity),
                HostConfig = new HostConfig { NetworkMode = "none", Mounts = [new Mount { Type = "volume", Source = volume.Name, Target = MountPoint }] },
            }, cancellationToken).ConfigureAwait(false);
            try
            {
                file.Position = 0;
                await engine.Client.Containers.ExtractArchiveToContainerAsync(helper.ID, new CopyToContainerParameters { Path = MountPoint }, file, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await engine.RemoveContainerAsync(helper.ID).ConfigureAwait(false);
            }
        }
        catch
        {
            await volume.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }

        return volume;
    }

    public async ValueTask DisposeAsync()
    {
        done = true;
        await writer.DisposeAsync().ConfigureAwait(false);
        await file.DisposeAsync().ConfigureAwait(false);
        File.Delete(tarPath);
    }

    /// <summary>
    /// Resolves a path's folder through the links written so far (a link that leads out is refused),
    /// writes the folders above it that are not written yet, and returns the name to write.
    /// </summary>
    private async Task<string> PrepareAsync(string path, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(done, this);
        var normalized = Normalize(path);
        var slash = normalized.LastIndexOf('/');
        var folder = slash < 0 ? string.Empty : normalized[..slash];
        var (inside, resolvedFolder) = LinkWalker.Resolve(folder, links, null);
        if (!inside)
        {
            throw new PathEscapesSandboxException(path);
        }

        var name = resolvedFolder.Length == 0 ? normalized[(slash + 1)..] : resolvedFolder + "/" + normalized[(slash + 1)..];
        var parts = name.Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            var parent = string.Join('/', parts[..i]);
            switch (written.GetValueOrDefault(parent))
            {
                case TarEntryType.RegularFile:
                    throw new InvalidOperationException($"'{parent}' is a file in the volume, not a folder.");
                case TarEntryType.Directory:
                    break;
                default:
                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, parent + "/") { Mode = (UnixFileMode)0x1ed }, cancellationToken).ConfigureAwait(false);
                    written[parent] = TarEntryType.Directory;
                    break;
            }
        }

        return name;
    }

    private async Task WriteAsync(PaxTarEntry entry, VolumeEntryOptions? options, UnixFileMode mode, CancellationToken cancellationToken)
    {
        entry.Mode = options?.Mode ?? mode;
        entry.ModificationTime = options?.LastWriteTime ?? engine.Time.GetUtcNow();
        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static string Normalize(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        return path.StartsWith('/') || parts.Length == 0 || parts.Contains("..") || path.Contains('\0', StringComparison.Ordinal)
            ? throw new PathEscapesSandboxException(path)
            : string.Join('/', parts);
    }
}
