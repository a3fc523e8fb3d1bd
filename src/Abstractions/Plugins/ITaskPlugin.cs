using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Plugins;

/// <summary>
/// A plugin's part of one task run. The stages come in order: <see cref="BuildSandboxAsync"/>,
/// <see cref="StartedAsync"/>, <see cref="StoppedAsync"/>, <see cref="FinishedAsync"/>; when anything
/// fails, <see cref="ExceptionAsync"/> replaces the stages not yet run. <see cref="IAsyncDisposable.DisposeAsync"/>
/// always comes last. The runtime never calls two hooks of one task plugin at once, but runs the
/// same hook of different plugins concurrently. Every hook has a do-nothing default.
/// A hook that throws ends the run as <c>exception/internal-error</c> (or <c>malformed-payload</c>
/// for <see cref="MalformedPayloadException"/>, or the reason of a <see cref="TaskException"/>).
/// </summary>
public interface ITaskPlugin : IAsyncDisposable
{
    /// <summary>Adds to the sandbox: environment variables, volumes, proxies.</summary>
    /// <param name="builder">The engine's builder; thread-safe.</param>
    /// <param name="cancellationToken">Fires when the run is aborted.</param>
    /// <returns>When done.</returns>
    Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The sandbox is running: attach live logs, start timers.</summary>
    /// <param name="sandbox">The running sandbox.</param>
    /// <param name="cancellationToken">Fires when the run is aborted.</param>
    /// <returns>When done.</returns>
    Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The task ended: read its result set, extract artifacts. The run succeeds only when every
    /// plugin returns <see langword="true"/>.
    /// </summary>
    /// <param name="result">The result set; owned by the runtime.</param>
    /// <param name="cancellationToken">Fires when the run is aborted.</param>
    /// <returns>Whether the task succeeded as far as this plugin is concerned.</returns>
    Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>The run's outcome is decided and the task log is closed.</summary>
    /// <param name="success">Whether the run resolves completed.</param>
    /// <param name="cancellationToken">Fires when the worker stops now.</param>
    /// <returns>When done.</returns>
    Task FinishedAsync(bool success, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The run ends in an exception; replaces the stages not yet run.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Fires when the worker stops now.</param>
    /// <returns>When done.</returns>
    Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Frees what the task plugin holds; the default does nothing. It takes no token (<see cref="IAsyncDisposable"/>
    /// has none): the runtime waits at most the worker's hook timeout, then leaves it behind and reports the run's
    /// failure. Keep it short; work that may take long (uploads, remote calls) belongs in <see cref="FinishedAsync"/>
    /// or <see cref="ExceptionAsync"/>, which have a token.
    /// </summary>
    /// <returns>When done.</returns>
    ValueTask IAsyncDisposable.DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A task plugin that does nothing, for plugins with nothing to do for a given task.</summary>
public sealed class NoOpTaskPlugin : ITaskPlugin
{
    /// <summary>The shared instance.</summary>
    public static NoOpTaskPlugin Instance { get; } = new();

    private NoOpTaskPlugin()
    {
    }
}
