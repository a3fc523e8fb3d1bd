using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The states of a sandbox and the races between its end, <c>KillAsync</c> and <c>AbortAsync</c>:
/// whichever comes first wins, and every later call sees that one outcome. Thread-safe.
/// </summary>
/// <typeparam name="TResult">The run's result.</typeparam>
internal sealed class SandboxLifecycle<TResult> : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private Task<TResult> run = Task.FromException<TResult>(new InvalidOperationException("Not started."));
    private State state;
    private TimeSpan killGracePeriod;

    private enum State
    {
        Running,
        Finished,
        Killed,
        Aborted,
    }

    /// <summary>Fires on kill and abort: the run should stop then.</summary>
    public CancellationToken Stopping => stop.Token;

    /// <summary>Whether a caller received the result (then it owns it).</summary>
    public bool HandedOut { get; private set; }

    /// <summary>Whether the run was aborted (its result, if any, is thrown away).</summary>
    public bool Aborted
    {
        get
        {
            lock (gate)
            {
                return state == State.Aborted;
            }
        }
    }

    /// <summary>The grace period of the kill that stopped the run; null unless it was killed.</summary>
    public TimeSpan? KillGracePeriod
    {
        get
        {
            lock (gate)
            {
                return state == State.Killed ? killGracePeriod : null;
            }
        }
    }

    /// <summary>Starts the run in the background. The run calls <see cref="Finish"/> before making its result.</summary>
    public void Start(Func<Task<TResult>> body) => run = Task.Run(body);

    /// <summary>Marks the run as ended; returns whether it was killed (its result must then be unsuccessful).</summary>
    public bool Finish()
    {
        lock (gate)
        {
            if (state == State.Running)
            {
                state = State.Finished;
            }

            return state == State.Killed;
        }
    }

    /// <summary>Waits for the result; throws <see cref="SandboxAbortedException"/> after an abort, or the run's error.</summary>
    public async Task<TResult> WaitAsync(CancellationToken cancellationToken)
    {
        TResult result;
        try
        {
            result = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Aborted && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // The run's own error after an abort (a script ending on SIGTERM) is thrown away with its result.
            throw new SandboxAbortedException();
        }

        lock (gate)
        {
            if (state == State.Aborted)
            {
                throw new SandboxAbortedException();
            }

            HandedOut = true;
            return result;
        }
    }

    /// <summary>
    /// Aborts; throws <see cref="SandboxTerminatedException"/> when the run already ended on its own or was killed:
    /// a killed run's result is kept, and whoever holds it keeps owning it.
    /// </summary>
    public Task AbortAsync()
    {
        lock (gate)
        {
            if (state is State.Finished or State.Killed)
            {
                throw new SandboxTerminatedException();
            }

            state = State.Aborted;
        }

        return StopAsync();
    }

    /// <summary>Kills, giving the run <paramref name="gracePeriod"/> to stop on its own (see <see cref="KillGracePeriod"/>); a no-op when the run already ended.</summary>
    public Task KillAsync(TimeSpan gracePeriod = default)
    {
        lock (gate)
        {
            if (state != State.Running)
            {
                return Task.CompletedTask;
            }

            state = State.Killed;
            killGracePeriod = gracePeriod;
        }

        return StopAsync();
    }

    /// <summary>Aborts a run that still goes on and waits for it; returns whether the caller still owns the result's resources.</summary>
    public async Task<bool> StopForDisposalAsync()
    {
        bool ownsResult;
        lock (gate)
        {
            if (state == State.Running)
            {
                state = State.Aborted;
            }

            ownsResult = !HandedOut || state == State.Aborted;
        }

        await StopAsync().ConfigureAwait(false);
        return ownsResult;
    }

    public void Dispose() => stop.Dispose();

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
            // The run's own error is for WaitAsync to report.
        }
    }
}
