namespace TcWorker.Engines.Docker;

/// <summary>A finished task's exit status and its stopped container, whose files it reads. Disposing it removes the container.</summary>
internal sealed class DockerResultSet(ContainerFiles files, bool success, int? exitCode, Func<Task> remove) : IResultSet
{
    public bool Success { get; } = success;

    public int? ExitCode { get; } = exitCode;

    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default) => files.OpenFileAsync(path, cancellationToken);

    public IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, CancellationToken cancellationToken = default) => files.EnumerateFolderAsync(path, cancellationToken);

    public async ValueTask DisposeAsync() => await remove().ConfigureAwait(false);
}
