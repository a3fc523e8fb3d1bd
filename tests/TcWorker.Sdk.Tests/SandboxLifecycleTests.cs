using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Sdk.Tests;

/// <summary>The races of a sandbox's end, kill and abort, on a run that waits until it is stopped.</summary>
public sealed class SandboxLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_kill_stops_the_run_which_learns_it_was_killed_and_its_result_is_kept()
    {
        using var lifecycle = StartUntilStopped();

        await lifecycle.KillAsync(TimeSpan.FromSeconds(3)).WaitAsync(Timeout);

        Assert.Equal("killed", await lifecycle.WaitAsync().WaitAsync(Timeout));
        Assert.Equal("killed", await lifecycle.WaitAsync().WaitAsync(Timeout));
        Assert.Equal(TimeSpan.FromSeconds(3), lifecycle.KillGracePeriod);
        await Assert.ThrowsAsync<SandboxTerminatedException>(() => lifecycle.AbortAsync());
        await lifecycle.KillAsync().WaitAsync(Timeout);
        Assert.False(await lifecycle.StopForDisposalAsync().WaitAsync(Timeout), "The result was handed out: the sandbox no longer owns it.");
    }

    [Fact]
    public async Task An_abort_throws_the_result_and_the_runs_own_error_away()
    {
        using var lifecycle = new SandboxLifecycle<string>();
        lifecycle.Start(async stopping =>
        {
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException)
            {
            }

            throw new IOException("the task ended on SIGTERM");
        });

        await lifecycle.AbortAsync().WaitAsync(Timeout);

        await Assert.ThrowsAsync<SandboxAbortedException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
        await lifecycle.KillAsync().WaitAsync(Timeout);
        Assert.Null(lifecycle.KillGracePeriod);
        await Assert.ThrowsAsync<SandboxAbortedException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
        Assert.True(await lifecycle.StopForDisposalAsync().WaitAsync(Timeout), "An aborted run's result still belongs to the sandbox.");
    }

    [Fact]
    public async Task A_run_that_ended_on_its_own_cannot_be_aborted_and_ignores_a_kill()
    {
        using var lifecycle = new SandboxLifecycle<string>();
        lifecycle.Start(_ => Task.FromResult(lifecycle.Finish() ? "killed" : "ran"));

        Assert.Equal("ran", await lifecycle.WaitAsync().WaitAsync(Timeout));
        await Assert.ThrowsAsync<SandboxTerminatedException>(() => lifecycle.AbortAsync());
        await lifecycle.KillAsync(TimeSpan.FromSeconds(1)).WaitAsync(Timeout);
        Assert.Null(lifecycle.KillGracePeriod);
        Assert.Equal("ran", await lifecycle.WaitAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task The_runs_error_reaches_every_waiter_and_disposal_swallows_it()
    {
        using var lifecycle = new SandboxLifecycle<string>();
        lifecycle.Start(_ => Task.FromException<string>(new InvalidDataException("the engine failed")));

        await Assert.ThrowsAsync<InvalidDataException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidDataException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
        Assert.True(await lifecycle.StopForDisposalAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Disposal_aborts_a_run_that_still_goes_on_and_owns_its_result()
    {
        using var lifecycle = StartUntilStopped();

        Assert.True(await lifecycle.StopForDisposalAsync().WaitAsync(Timeout));

        Assert.True(lifecycle.Stopping.IsCancellationRequested);
        await Assert.ThrowsAsync<SandboxAbortedException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Waiting_can_be_cancelled_without_stopping_the_run()
    {
        using var lifecycle = StartUntilStopped();
        using var cancel = new CancellationTokenSource();
        var waiting = lifecycle.WaitAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));
        Assert.False(lifecycle.Stopping.IsCancellationRequested);
        await lifecycle.KillAsync().WaitAsync(Timeout);
        Assert.Equal("killed", await lifecycle.WaitAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Misuse_is_refused_with_a_clear_error()
    {
        using var lifecycle = new SandboxLifecycle<string>();
        Assert.Contains("not started", (await Assert.ThrowsAsync<InvalidOperationException>(() => lifecycle.WaitAsync())).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => lifecycle.KillAsync(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentNullException>(() => lifecycle.Start(null!));

        lifecycle.Start(_ => Task.FromResult("ran"));
        Assert.Contains("already started", Assert.Throws<InvalidOperationException>(() => lifecycle.Start(_ => Task.FromResult("again"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kill_and_an_abort_racing_from_two_threads_end_in_one_outcome()
    {
        for (var i = 0; i < 100; i++)
        {
            using var lifecycle = StartUntilStopped();
            using var go = new Barrier(2);
            var kill = Task.Run(() =>
            {
                go.SignalAndWait();
                return lifecycle.KillAsync();
            });
            var abort = Task.Run(() =>
            {
                go.SignalAndWait();
                return lifecycle.AbortAsync();
            });
            await kill.WaitAsync(Timeout);
            var abortError = await Record.ExceptionAsync(() => abort.WaitAsync(Timeout));

            if (abortError is null)
            {
                // The abort came first: the kill was a no-op, and there is no result.
                await Assert.ThrowsAsync<SandboxAbortedException>(() => lifecycle.WaitAsync().WaitAsync(Timeout));
                Assert.Null(lifecycle.KillGracePeriod);
            }
            else
            {
                // The kill came first: the abort was refused, and the killed result is kept.
                Assert.IsType<SandboxTerminatedException>(abortError);
                Assert.Equal("killed", await lifecycle.WaitAsync().WaitAsync(Timeout));
            }
        }
    }

    /// <summary>A run that waits until it is stopped, then reports whether a kill stopped it.</summary>
    private static SandboxLifecycle<string> StartUntilStopped()
    {
        var lifecycle = new SandboxLifecycle<string>();
        lifecycle.Start(async stopping =>
        {
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }

            return lifecycle.Finish() ? "killed" : "ended";
        });
        return lifecycle;
    }
}
