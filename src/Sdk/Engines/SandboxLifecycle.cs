using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// The state machine of a sandbox whose task runs in the background: the races between the task's own
/// end, <see cref="KillAsync"/> and <see cref="AbortAsync"/>, decided the way <see cref="ISandbox"/>
/// requires. Whichever comes first wins, and every later call sees that one outcome. An engine's
/// sandbox holds one, starts its run with <see cref="Start"/>, and forwards <see cref="ISandbox.WaitForResultAsync"/>,
/// <see cref="ISandbox.AbortAsync"/> and <see cref="ISandbox.KillAsync(TimeSpan)"/> to it.
/// </summary>
/// <remarks>
/// <para>
/// The run is a function that stops when <see cref="Stopping"/> fires (on a kill or an abort) and calls
/// <see cref="Finish"/> once the task has ended, just before it makes its result: <see cref="Finish"/>
/// tells it whether a kill came first, in which case its result must be unsuccessful and carry no exit code.
/// A kill after <see cref="Finish"/> is a no-op; an abort after it throws <see cref="SandboxTerminatedException"/>.
/// </para>
/// <para>
/// Every member is thread-safe. The sandbox that holds the lifecycle disposes it, after
/// <see cref="StopForDisposalAsync"/>.
/// </para>
/// </remarks>
/// <typeparam name="TResult">The run's result, usually the engine's <see cref="IResultSet"/>.</typeparam>
public sealed class SandboxLifecycle<TResult> : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private Task<TResult>? run;
    private State state;
    private TimeSpan killGracePeriod;
    private bool handedOut;

    private enum State
    {
        Running,
        Finished,
        Killed,
        Aborted,
    }

    /// <summary>Fires on a kill and on an abort: the run should stop then. Throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    public CancellationToken Stopping => stop.Token;

    /// <summary>
    /// The grace period of the kill that stopped the run, <see langword="null"/> unless a kill came before
    /// <see cref="Finish"/>: how long the run should give the task to stop on its own before killing it.
    /// </summary>
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

    /// <summary>
    /// Starts the run in the background, on the thread pool. Call it once, before the sandbox is handed to
    /// anyone (in its constructor or its builder's <c>StartAsync</c>).
    /// </summary>
    /// <param name="body">
    /// The run. Its token is <see cref="Stopping"/>. It calls <see cref="Finish"/> when the task has ended and
    /// then makes its result, which <see cref="WaitAsync"/> hands out; an exception it throws is what
    /// <see cref="WaitAsync"/> throws (unless the run was aborted).
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="body"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The run was already started.</exception>
    public void Start(Func<CancellationToken, Task<TResult>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var token = stop.Token;
        lock (gate)
        {
            if (run is not null)
            {
                throw new InvalidOperationException("The sandbox's run was already started.");
            }

            run = Task.Run(() => body(token), CancellationToken.None);
        }
    }

    /// <summary>
    /// Marks the run as ended; the run calls it once its task has ended, before it makes its result. From then on
    /// a kill is a no-op and an abort throws <see cref="SandboxTerminatedException"/>.
    /// </summary>
    /// <returns>Whether a kill came first: the result must then be unsuccessful, without an exit code.</returns>
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

    /// <summary>
    /// Waits for the run's result (<see cref="ISandbox.WaitForResultAsync"/>). Every call returns the same result;
    /// the first caller to receive it owns it (it no longer belongs to the sandbox, see <see cref="StopForDisposalAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the run goes on.</param>
    /// <returns>The run's result.</returns>
    /// <exception cref="SandboxAbortedException">The run was aborted (its own error, if any, is thrown away).</exception>
    /// <exception cref="InvalidOperationException">The run was never started.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <remarks>Otherwise it throws what the run threw.</remarks>
    public async Task<TResult> WaitAsync(CancellationToken cancellationToken = default)
    {
        var running = Run ?? throw new InvalidOperationException("The sandbox's run was not started.");
        TResult result;
        try
        {
            result = await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsAborted && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
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

            handedOut = true;
            return result;
        }
    }

    /// <summary>
    /// Aborts the run (<see cref="ISandbox.AbortAsync"/>): fires <see cref="Stopping"/> and waits for the run to end.
    /// Its result is thrown away: <see cref="WaitAsync"/> then throws <see cref="SandboxAbortedException"/>.
    /// Aborting again is a no-op that waits for the run too.
    /// </summary>
    /// <returns>When the run has ended.</returns>
    /// <exception cref="SandboxTerminatedException">
    /// The run already ended on its own (<see cref="Finish"/>) or was killed: a killed run's result is kept, and
    /// whoever holds it keeps owning it. Thrown synchronously, before any waiting.
    /// </exception>
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

    /// <summary>
    /// Kills the run but keeps its result (<see cref="ISandbox.KillAsync(TimeSpan)"/>): fires <see cref="Stopping"/>,
    /// records <paramref name="gracePeriod"/> in <see cref="KillGracePeriod"/>, and waits for the run to end.
    /// A no-op when the run already ended, was killed or aborted.
    /// </summary>
    /// <param name="gracePeriod">How long the run should give the task to stop on its own; <see cref="TimeSpan.Zero"/> (the default) for none.</param>
    /// <returns>When the run has ended.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gracePeriod"/> is negative.</exception>
    public Task KillAsync(TimeSpan gracePeriod = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
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

    /// <summary>
    /// For the sandbox's <c>DisposeAsync</c>: aborts the run if it still goes on, and waits for it to end. Never
    /// throws the run's error.
    /// </summary>
    /// <returns>
    /// Whether the sandbox still owns what the result holds (and must free it): <see langword="true"/> when no
    /// caller of <see cref="WaitAsync"/> received the result, or the run was aborted.
    /// </returns>
    public async Task<bool> StopForDisposalAsync()
    {
        bool ownsResult;
        lock (gate)
        {
            if (state == State.Running)
            {
                state = State.Aborted;
            }

            ownsResult = !handedOut || state == State.Aborted;
        }

        await StopAsync().ConfigureAwait(false);
        return ownsResult;
    }

    /// <summary>Frees the source of <see cref="Stopping"/>. Call it after <see cref="StopForDisposalAsync"/>: it does not stop the run.</summary>
    public void Dispose() => stop.Dispose();

    private Task<TResult>? Run
    {
        get
        {
            lock (gate)
            {
                return run;
            }
        }
    }

    private bool IsAborted
    {
        get
        {
            lock (gate)
            {
                return state == State.Aborted;
            }
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

        if (Run is not { } running)
        {
            return;
        }

        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The run's own error is for WaitAsync to report.
        }
    }
}
