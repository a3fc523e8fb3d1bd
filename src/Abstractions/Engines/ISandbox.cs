using Microsoft.AspNetCore.Http.Features;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// A running task. <see cref="WaitForResultAsync"/>, <see cref="AbortAsync"/> and <see cref="KillAsync(TimeSpan)"/>
/// may race; whatever the order, later calls see one consistent outcome. Disposing a sandbox aborts
/// it if it still runs and frees its resources, but not the result set.
/// </summary>
public interface ISandbox : IAsyncDisposable
{
    /// <summary>Engine-specific facts beyond the contract (say, a container id); an empty, read-only collection by default.</summary>
    IFeatureCollection Features => EmptyFeatures.Instance;

    /// <summary>
    /// An opaque token from which <see cref="IEngine.ReattachAsync"/> finds this sandbox again after a
    /// worker restart; <see langword="null"/> when the engine cannot (without <see cref="EngineFeatures.Reattach"/>).
    /// The runtime keeps it with the claim; it must not hold secrets.
    /// </summary>
    string? ReattachToken => null;

    /// <summary>
    /// Waits for the task to end. Idempotent: every call returns the same result set. Throws
    /// <see cref="SandboxAbortedException"/> after <see cref="AbortAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the sandbox keeps running).</param>
    /// <returns>The result set; the caller (the runtime) disposes it.</returns>
    Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the task and throws its result away: <see cref="WaitForResultAsync"/> then throws
    /// <see cref="SandboxAbortedException"/>. Every process the task started is killed. Throws
    /// <see cref="SandboxTerminatedException"/> when the task had already ended, on its own or by
    /// <see cref="KillAsync(TimeSpan)"/>: a killed task's result is kept, and <see cref="WaitForResultAsync"/> still returns it.
    /// </summary>
    /// <returns>When the task has stopped.</returns>
    Task AbortAsync();

    /// <summary>
    /// Stops the task at once but keeps its result; the same as <see cref="KillAsync(TimeSpan)"/> with no grace period.
    /// Requires <see cref="EngineFeatures.Kill"/>.
    /// </summary>
    /// <returns>When the task has stopped.</returns>
    Task KillAsync() => KillAsync(TimeSpan.Zero);

    /// <summary>
    /// Stops the task but keeps its result: the task is asked to stop (SIGTERM, or the engine's
    /// equivalent), given up to <paramref name="gracePeriod"/> to do so, then killed with everything it
    /// started. <see cref="WaitForResultAsync"/> then yields an unsuccessful result set without an exit
    /// code, from which the log and the files written before the kill can still be read. A no-op when
    /// the task already ended. Requires <see cref="EngineFeatures.Kill"/>.
    /// </summary>
    /// <param name="gracePeriod">How long the task may take to stop on its own; <see cref="TimeSpan.Zero"/> kills at once.</param>
    /// <returns>When the task has stopped.</returns>
    Task KillAsync(TimeSpan gracePeriod) => throw new FeatureNotSupportedException("kill");

    /// <summary>
    /// Opens an interactive shell in the running sandbox. Requires <see cref="EngineFeatures.Shells"/>.
    /// </summary>
    /// <param name="command">The command to run; empty for the engine's default shell.</param>
    /// <param name="tty">Whether to allocate a terminal.</param>
    /// <param name="cancellationToken">Cancels opening the shell.</param>
    /// <returns>The shell; the caller disposes it. It ends when the sandbox ends.</returns>
    Task<IShell> OpenShellAsync(IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("shells");

    /// <summary>Lists the sandbox's displays. Requires <see cref="EngineFeatures.Displays"/>.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The displays.</returns>
    Task<IReadOnlyList<DisplayInfo>> ListDisplaysAsync(CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("displays");

    /// <summary>
    /// Opens a display as a raw VNC (RFB) byte stream. Throws <see cref="ResourceNotFoundException"/>
    /// for an unknown name. Requires <see cref="EngineFeatures.Displays"/>.
    /// </summary>
    /// <param name="name">A name from <see cref="ListDisplaysAsync"/>.</param>
    /// <param name="cancellationToken">Cancels opening the display.</param>
    /// <returns>The stream; the caller disposes it.</returns>
    Task<Stream> OpenDisplayAsync(string name, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("displays");
}

/// <summary>A display of a sandbox.</summary>
/// <param name="Name">The name to open it by.</param>
/// <param name="Description">What it shows.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record DisplayInfo(string Name, string Description, int Width, int Height);
