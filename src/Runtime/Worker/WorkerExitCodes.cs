using TcWorker.Runtime.Configuration;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// The exit codes a worker process gives for how the worker stopped, following BSD's sysexits, so that
/// <c>tc-worker</c> and a custom worker binary report the same: 0 stopped as asked, 69 an engine
/// unavailable (at start or unhealthy for too long), 70 an internal or fatal error, 78 a config that
/// cannot be used.
/// </summary>
public static class WorkerExitCodes
{
    /// <summary>The worker stopped as asked, or by its own limits (task count, idle time).</summary>
    public const int Stopped = 0;

    /// <summary>An engine's dependency never came up at start, or the engines stayed unhealthy for <c>worker.unhealthyTimeout</c> (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>A fatal engine or plugin error, or an unexpected failure (EX_SOFTWARE).</summary>
    public const int Software = 70;

    /// <summary>The config is invalid, or an engine or plugin cannot use its part of it (EX_CONFIG).</summary>
    public const int Config = 78;

    /// <summary>The exit code for a worker that stopped with a reason.</summary>
    /// <param name="reason">What <see cref="WorkerHost.RunAsync"/> returned.</param>
    /// <returns>The exit code.</returns>
    public static int For(WorkerStopReason reason) => reason switch
    {
        WorkerStopReason.FatalError => Software,
        WorkerStopReason.Unhealthy => Unavailable,
        _ => Stopped,
    };

    /// <summary>The exit code for an exception <see cref="WorkerHost.RunAsync"/> threw before the worker claimed anything.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>The exit code: 78 for a config problem, 69 for an unavailable engine, 70 otherwise.</returns>
    public static int For(Exception error) => error switch
    {
        ConfigException => Config,
        EngineStartException { IsUnavailable: true } => Unavailable,
        _ => Software,
    };
}
