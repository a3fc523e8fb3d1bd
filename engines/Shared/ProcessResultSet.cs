namespace TcWorker.Engines.Shared;

/// <summary>
/// The result of a process sandbox: exit status plus the files of one folder of the task directory,
/// confined to it (and the folder itself to the task directory). Disposing it deletes the task
/// directory and user.
/// </summary>
internal sealed class ProcessResultSet(TaskWorkspace workspace, string folder, bool success, int? exitCode) : IResultSet
{
    private readonly ConfinedDirectory files = new(folder, workspace.Directory);

    public bool Success { get; } = success;

    public int? ExitCode { get; } = exitCode;

    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default) =>
        files.OpenFileAsync(path, cancellationToken);

    public IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, CancellationToken cancellationToken = default) =>
        files.EnumerateFolderAsync(path, cancellationToken);

    public ValueTask DisposeAsync() => workspace.DisposeAsync();
}
