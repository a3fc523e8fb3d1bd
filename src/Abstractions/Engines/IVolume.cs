namespace TcWorker.Engines;

/// <summary>
/// A volume created by an engine, attachable to that engine's sandboxes one at a time. It may
/// outlive a task: a cache is attached to one task after another and keeps what they wrote.
/// Disposing it deletes its content; its creator disposes it once no sandbox holds it (for a cache,
/// when the garbage collector evicts it). Thread-safe.
/// </summary>
public interface IVolume : IAsyncDisposable
{
    /// <summary>The volume's id: <see cref="VolumeOptions.Id"/>, or one the engine chose. Unique among the engine's live volumes.</summary>
    string Id { get; }

    /// <summary>Measures the bytes of disk the volume holds now, for garbage collection. May walk the whole volume: call it sparingly.</summary>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>The size in bytes.</returns>
    Task<long> GetSizeAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Writes the initial content of a volume. Paths are relative with <c>/</c> separators; parents are
/// created as needed; a path that would lead outside the volume (<c>..</c>, an absolute path, through
/// a symbolic link written earlier) is refused with <see cref="Errors.PathEscapesSandboxException"/>.
/// Folders get their modification time when the volume is built, after their content. Not
/// thread-safe: one writer at a time. Disposing a builder that was not built discards it.
/// </summary>
public interface IVolumeBuilder : IAsyncDisposable
{
    /// <summary>Creates a folder (and its parents) in the volume.</summary>
    /// <param name="path">The folder's path.</param>
    /// <param name="options">Mode, modification time and owner; engine defaults when null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the folder exists.</returns>
    Task WriteFolderAsync(string path, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a file into the volume, replacing one of the same path.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="content">The bytes to write; read to its end, not disposed.</param>
    /// <param name="options">Mode, modification time and owner; engine defaults when null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the file is written.</returns>
    Task WriteFileAsync(string path, Stream content, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a symbolic link. Its target is stored as given; a target outside the volume is allowed but never followed by the builder.</summary>
    /// <param name="path">The link's path.</param>
    /// <param name="target">What the link points to.</param>
    /// <param name="options">Modification time and owner (the mode of a link is ignored); engine defaults when null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the link exists.</returns>
    Task WriteSymbolicLinkAsync(string path, string target, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a hard link to a file written earlier into the same volume.</summary>
    /// <param name="path">The new link's path.</param>
    /// <param name="existingPath">The path of a file already in the volume.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the link exists.</returns>
    Task WriteHardLinkAsync(string path, string existingPath, CancellationToken cancellationToken = default);

    /// <summary>Finishes the volume. The builder holds nothing afterwards.</summary>
    /// <param name="cancellationToken">Cancels the build; the builder is then discarded.</param>
    /// <returns>The volume; the caller disposes it.</returns>
    Task<IVolume> BuildAsync(CancellationToken cancellationToken = default);
}

/// <summary>How a volume is created. New members may be added; construct it with an object initializer.</summary>
public sealed class VolumeOptions
{
    /// <summary>An id for the volume (say, <c>cache-cargo</c>); letters, digits, <c>.</c>, <c>_</c> and <c>-</c>. Null lets the engine choose one.</summary>
    public string? Id { get; init; }

    /// <summary>Engine-specific settings matching <see cref="IEngine.VolumeSchema"/>.</summary>
    public Newtonsoft.Json.Linq.JObject Config { get; init; } = [];
}

/// <summary>Metadata of one entry written by an <see cref="IVolumeBuilder"/>. New members may be added.</summary>
public sealed class VolumeEntryOptions
{
    /// <summary>The permission bits (say, 0755 for an executable); the engine's default when null.</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>The modification time to keep; the time of writing when null.</summary>
    public DateTimeOffset? LastWriteTime { get; init; }

    /// <summary>The owning user id; applied only by engines that declare <see cref="EngineFeatures.VolumeOwners"/>, ignored by others.</summary>
    public int? OwnerId { get; init; }

    /// <summary>The owning group id; applied only by engines that declare <see cref="EngineFeatures.VolumeOwners"/>, ignored by others.</summary>
    public int? GroupId { get; init; }
}
