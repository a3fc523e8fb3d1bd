using System.Globalization;
using Microsoft.Extensions.Logging;

namespace TcWorker.Runtime.Tasks;

/// <summary>A hook that ran past the hook timeout.</summary>
internal sealed class HookTimeoutException(string message) : TimeoutException(message);

/// <summary>The outcome of one guarded call: a value, or an error; <see cref="StillRunning"/> is set after a timeout.</summary>
internal readonly record struct Guarded<T>(T? Value, Exception? Error, Task<T>? StillRunning)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs engine and plugin code so that nothing it does escapes: exceptions are captured, and a call
/// that outlives the hook timeout is left behind (and its result disposed when it finally arrives).
/// </summary>
internal sealed class HookGuard(TimeSpan timeout, TimeProvider time, ILogger logger)
{
    public TimeSpan Timeout => timeout;

    /// <summary>Runs <paramref name="call"/> with a token that fires on <paramref name="token"/> or the timeout.</summary>
    public async Task<Guarded<T>> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken token)
    {
        var expiry = new CancellationTokenSource(timeout, time);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(token, expiry.Token);
        var hookToken = linked.Token;

        // On the thread pool, so that a hook that blocks its thread cannot defeat the timeout.
        var task = Task.Run(() => call(hookToken), CancellationToken.None);
        try
        {
            var value = await task.WaitAsync(expiry.Token).ConfigureAwait(false);
            return new(value, null, null);
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            // Only the expiry stops the wait while the call still runs (also when it ignored an abort):
            // leave it behind, and let the owner make no further calls into that component.
            return new(default, new HookTimeoutException($"{what} did not finish within {Describe(timeout)}"), task);
        }
        catch (Exception e)
        {
            return new(default, e, null);
        }
        finally
        {
            // A call left behind keeps its token working (it still fires on abort).
            if (task.IsCompleted)
            {
                linked.Dispose();
                expiry.Dispose();
            }
        }
    }

    /// <summary>Runs a call that returns nothing.</summary>
    public async Task<Guarded<bool>> RunAsync(string what, Func<CancellationToken, Task> call, CancellationToken token) =>
        await RunAsync(
            what,
            async t =>
            {
                await call(t).ConfigureAwait(false);
                return true;
            },
            token).ConfigureAwait(false);

    /// <summary>Disposes a disposable once a call left behind finally produces it; never throws.</summary>
    public void DisposeWhenDone<T>(Task<T> task, string what)
        where T : IAsyncDisposable? => _ = DisposeWhenDoneAsync(task, what);

    /// <summary>Disposes, within the timeout, capturing any error.</summary>
    public Task<Guarded<bool>> DisposeAsync(string what, IAsyncDisposable? disposable) =>
        disposable is null
            ? Task.FromResult(new Guarded<bool>(true, null, null))
            : RunAsync($"disposing {what}", _ => disposable.DisposeAsync().AsTask(), CancellationToken.None);

    private static string Describe(TimeSpan span) => span < TimeSpan.FromMinutes(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0.##} min");

    private async Task DisposeWhenDoneAsync<T>(Task<T> task, string what)
        where T : IAsyncDisposable?
    {
        try
        {
            var value = await task.ConfigureAwait(false);
            if (value is not null)
            {
                await value.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The call was cancelled by the abort that left it behind: nothing to dispose.
        }
        catch (Exception e)
        {
            TaskRunLog.LateDisposeFailed(logger, what, e);
        }
    }
}
