namespace TcWorker.Engines.Shared;

/// <summary>
/// Collects a process sandbox's environment. Disposing it before <see cref="StartAsync"/> deletes
/// the task directory and user. Thread-safe.
/// </summary>
internal sealed class ProcessSandboxBuilder(TaskWorkspace workspace, TaskEnvironment environment, Func<IReadOnlyDictionary<string, string>, ProcessSandbox> create) : ISandboxBuilder
{
    private int started;

    public string? WorkingDirectory => workspace.Directory;

    public void SetEnvironmentVariable(string name, string value) => environment.Set(name, value);

    public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("The sandbox was already started.");
        }

        var sandbox = create(environment.Build());
        sandbox.Start();
        return Task.FromResult<ISandbox>(sandbox);
    }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref started, 1) == 0 ? workspace.DisposeAsync() : ValueTask.CompletedTask;
}
