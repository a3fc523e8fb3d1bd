using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.MaxRunTime;

/// <summary>Starts a timer when the task starts; on expiry kills the sandbox, so the result is unsuccessful.</summary>
internal sealed class MaxRunTimeTaskPlugin(int seconds, ITaskLog log, TimeProvider time) : ITaskPlugin
{
    private ITimer? timer;

    public Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
    {
        timer = time.CreateTimer(_ => _ = KillAsync(sandbox), null, TimeSpan.FromSeconds(seconds), Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public async Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        await StopTimerAsync().ConfigureAwait(false);
        return true;
    }

    public Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken) => StopTimerAsync().AsTask();

    public ValueTask DisposeAsync() => StopTimerAsync();

    private ValueTask StopTimerAsync() => Interlocked.Exchange(ref timer, null)?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task KillAsync(ISandbox sandbox)
    {
        // Runs on a timer thread: nothing may escape.
        try
        {
            log.WriteErrorLine($"Task exceeded maxRunTime of {seconds} seconds; killed");
            try
            {
                await sandbox.KillAsync().ConfigureAwait(false);
            }
            catch (FeatureNotSupportedException)
            {
                // Without kill the result is lost, and the run ends as an exception rather than failed.
                await sandbox.AbortAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            log.WriteErrorLine($"Killing the task failed: {e.Message}");
        }
    }
}
