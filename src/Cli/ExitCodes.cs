using TcWorker.Runtime.Worker;

namespace TcWorker.Cli;

/// <summary>
/// The exit codes of <c>tc-worker</c>. 1 and 2 belong to task outcomes; the others follow BSD's
/// sysexits so that scripts can tell a usage error from a broken config.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success; for <c>run</c>, the task completed.</summary>
    public const int Success = 0;

    /// <summary>The task failed (<c>run</c>, <c>local</c>).</summary>
    public const int TaskFailed = 1;

    /// <summary>The task resolved as an exception (<c>run</c>, <c>local</c>).</summary>
    public const int TaskException = 2;

    /// <summary>The command line is wrong (EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>An input file (config, task) is invalid (EX_DATAERR).</summary>
    public const int DataError = 65;

    /// <summary>An input file does not exist or cannot be read (EX_NOINPUT).</summary>
    public const int NoInput = 66;

    /// <summary>An engine is unavailable: a dependency never came up at start, or it stayed unhealthy for worker.unhealthyTimeout (EX_UNAVAILABLE).</summary>
    public const int Unavailable = WorkerExitCodes.Unavailable;

    /// <summary>An internal error (EX_SOFTWARE).</summary>
    public const int Software = 70;

    /// <summary>Some output files could not be written, the others were (EX_CANTCREAT): <c>queue artifacts --download</c>.</summary>
    public const int CannotCreate = 73;

    /// <summary>The worker config is invalid or names an engine or plugin that cannot be used (EX_CONFIG).</summary>
    public const int Config = 78;
}
