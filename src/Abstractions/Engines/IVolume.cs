namespace TcWorker.Engines;

/// <summary>
/// A volume created by an engine, attachable to that engine's sandboxes. Disposing it deletes its
/// content; the creator disposes it once no sandbox uses it.
/// </summary>
public interface IVolume : IAsyncDisposable
{
}

/// <summary>
/// Writes the initial content of a volume. Disposing a builder that was not built discards it.
/// </summary>
public interface IVolumeBuilder : IAsyncDisposable
{
    /// <summary>Creates a folder (and its parents) in the volume.</summary>
    /// <param name="path">The folder's path, relative, with <c>/</c> separators.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the folder exists.</returns>
    Task WriteFolderAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Writes a file into the volume.</summary>
    /// <param name="path">The file's path, relative, with <c>/</c> separators.</param>
    /// <param name="content">The bytes to write; read to its end, not disposed.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>When the file is written.</returns>
    Task WriteFileAsync(string path, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Finishes the volume. The builder holds nothing afterwards.</summary>
    /// <param name="cancellationToken">Cancels the build; the builder is then discarded.</param>
    /// <returns>The volume; the caller disposes it.</returns>
    Task<IVolume> BuildAsync(CancellationToken cancellationToken = default);
}
