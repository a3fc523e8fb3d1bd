using Microsoft.AspNetCore.Http.Features;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// What a finished task left behind: its exit status and its files. Paths use the engine's own
/// format (for the native engine, relative to the task directory); a path that leads outside the
/// sandbox, directly or through a symlink, is refused with <see cref="PathEscapesSandboxException"/>
/// and never read. Disposing the result set deletes what it holds.
/// </summary>
public interface IResultSet : IAsyncDisposable
{
    /// <summary>Engine-specific facts beyond the contract (say, a container's resource usage); an empty, read-only collection by default.</summary>
    IFeatureCollection Features => EmptyFeatures.Instance;

    /// <summary>Whether the task succeeded as far as the engine can tell (usually exit code 0, and not killed).</summary>
    bool Success { get; }

    /// <summary>
    /// The exit code of the task's last process, or <see langword="null"/> when it has none. A killed task's result
    /// always has none, so a kill never reads as an exit code (say, one a task lists as retryable); the engine
    /// conformance kit checks it.
    /// </summary>
    int? ExitCode { get; }

    /// <summary>
    /// Opens a file for reading. Throws <see cref="ResourceNotFoundException"/> when it does not exist,
    /// <see cref="PathEscapesSandboxException"/> when it leads outside the sandbox, and
    /// <see cref="MalformedPayloadException"/> for a path the engine cannot parse.
    /// </summary>
    /// <param name="path">The file's path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>A readable stream; the caller disposes it.</returns>
    Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("artifacts");

    /// <summary>
    /// Lists every file under a folder, recursively, with paths relative to it using <c>/</c>.
    /// Entries that lead outside the sandbox are returned with <see cref="SandboxFile.EscapesSandbox"/>
    /// set and cannot be opened. Throws <see cref="ResourceNotFoundException"/> when the folder does not exist.
    /// </summary>
    /// <param name="path">The folder's path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The files, in no particular order.</returns>
    IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("artifacts");
}

/// <summary>One file in a folder of a result set.</summary>
public sealed class SandboxFile
{
    private readonly Func<CancellationToken, Task<Stream>> open;

    /// <summary>Creates an entry.</summary>
    /// <param name="relativePath">The path relative to the listed folder, with <c>/</c> separators.</param>
    /// <param name="length">The size in bytes, when known.</param>
    /// <param name="open">Opens the file for reading.</param>
    /// <param name="escapesSandbox">Whether the entry is a link that leads outside the sandbox.</param>
    public SandboxFile(string relativePath, long? length, Func<CancellationToken, Task<Stream>> open, bool escapesSandbox = false)
    {
        RelativePath = relativePath;
        Length = length;
        this.open = open;
        EscapesSandbox = escapesSandbox;
    }

    /// <summary>The path relative to the listed folder, with <c>/</c> separators.</summary>
    public string RelativePath { get; }

    /// <summary>The size in bytes, when known.</summary>
    public long? Length { get; }

    /// <summary>Whether the entry leads outside the sandbox; such an entry is never opened.</summary>
    public bool EscapesSandbox { get; }

    /// <summary>Opens the file. Throws <see cref="PathEscapesSandboxException"/> when <see cref="EscapesSandbox"/> is set.</summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>A readable stream; the caller disposes it.</returns>
    public Task<Stream> OpenAsync(CancellationToken cancellationToken = default) =>
        EscapesSandbox ? Task.FromException<Stream>(new PathEscapesSandboxException(RelativePath)) : open(cancellationToken);
}
