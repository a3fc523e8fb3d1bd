namespace TcWorker.Runtime.Worker;

/// <summary>
/// An engine could not start, so the worker never claimed: it kept reporting a dependency as
/// unavailable until <c>worker.startTimeout</c> passed (<see cref="IsUnavailable"/>, exit code 69), or
/// its start failed unexpectedly (exit code 70). A config the engine cannot use is a
/// <see cref="Configuration.ConfigException"/> instead (exit code 78).
/// </summary>
public sealed class EngineStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="engineName">The engine's name as configured.</param>
    /// <param name="isUnavailable">Whether a dependency never came up (as opposed to an unexpected failure).</param>
    /// <param name="message">What happened, naming the engine and the cause.</param>
    /// <param name="innerException">The engine's last exception.</param>
    public EngineStartException(string engineName, bool isUnavailable, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        EngineName = engineName;
        IsUnavailable = isUnavailable;
    }

    /// <summary>The engine's name as configured.</summary>
    public string EngineName { get; }

    /// <summary>Whether a dependency of the engine never came up within <c>worker.startTimeout</c>.</summary>
    public bool IsUnavailable { get; }
}
