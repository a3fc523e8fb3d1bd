using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>A running mock function. Kill and abort cancel it; later calls see one consistent outcome.</summary>
internal sealed class MockSandbox : ISandbox
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task<MockResultSet> run;
    private State state;

    public MockSandbox(MockRun mockRun)
    {
        run = Task.Run(() => RunAsync(mockRun));
    }

    private enum State
    {
        Running,
        Finished,
        Killed,
        Aborted,
    }

    public async Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default)
    {
        var result = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (gate)
        {
            return state == State.Aborted ? throw new SandboxAbortedException() : result;
        }
    }

    public Task AbortAsync()
    {
        lock (gate)
        {
            if (state == State.Finished)
            {
                throw new SandboxTerminatedException();
            }

            state = State.Aborted;
        }

        return StopAsync();
    }

    public Task KillAsync()
    {
        lock (gate)
        {
            if (state != State.Running)
            {
                return Task.CompletedTask;
            }

            state = State.Killed;
        }

        return StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            if (state == State.Running)
            {
                state = State.Aborted;
            }
        }

        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task<MockResultSet> RunAsync(MockRun mockRun)
    {
        MockResultSet result;
        try
        {
            result = await mockRun.ExecuteAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            result = new MockResultSet(false, null, mockRun.Files);
        }

        lock (gate)
        {
            if (state == State.Running)
            {
                state = State.Finished;
            }

            return state == State.Killed ? new MockResultSet(false, null, mockRun.Files) : result;
        }
    }

    private async Task StopAsync()
    {
        try
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reported by WaitForResultAsync.
        }
    }
}
