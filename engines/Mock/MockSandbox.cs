namespace TcWorker.Engines.Mock;

/// <summary>A running mock function. Kill and abort cancel it; later calls see one consistent outcome.</summary>
internal sealed class MockSandbox : ISandbox
{
    private readonly SandboxLifecycle<IResultSet> lifecycle = new();
    private readonly MockRun mockRun;

    public MockSandbox(MockRun mockRun)
    {
        this.mockRun = mockRun;
        lifecycle.Start(RunAsync);
    }

    public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => lifecycle.WaitAsync(cancellationToken);

    public Task AbortAsync() => lifecycle.AbortAsync();

    // A mock function has nothing to clean up, so the grace period changes nothing.
    public Task KillAsync(TimeSpan gracePeriod) => lifecycle.KillAsync();

    public async ValueTask DisposeAsync()
    {
        await lifecycle.StopForDisposalAsync().ConfigureAwait(false);
        lifecycle.Dispose();
        mockRun.ReleaseVolumes();
    }

    private async Task<IResultSet> RunAsync(CancellationToken stopping)
    {
        IResultSet result;
        try
        {
            result = await mockRun.ExecuteAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            result = new MockResultSet(false, null, mockRun.Files);
        }

        return lifecycle.Finish() ? new MockResultSet(false, null, mockRun.Files) : result;
    }
}
