namespace TcWorker.Errors;

/// <summary>
/// The payload of a task is invalid. Carries every message found, each naming what is wrong and
/// where; the runtime writes them to the task log and resolves the run <c>exception/malformed-payload</c>.
/// </summary>
public sealed class MalformedPayloadException : Exception
{
    /// <summary>Creates the exception from one or more messages.</summary>
    /// <param name="messages">What is wrong, one message per problem, each naming its JSON path.</param>
    public MalformedPayloadException(IEnumerable<string> messages)
        : this(messages?.ToArray() ?? throw new ArgumentNullException(nameof(messages)))
    {
    }

    /// <summary>Creates the exception from one message.</summary>
    /// <param name="message">What is wrong, naming the JSON path.</param>
    public MalformedPayloadException(string message)
        : this([message])
    {
    }

    private MalformedPayloadException(string[] messages)
        : base(messages.Length == 1 ? messages[0] : $"The payload has {messages.Length} problems: " + string.Join("; ", messages))
    {
        Messages = messages;
    }

    /// <summary>Every problem found, one message each.</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>Merges the messages of several exceptions into one.</summary>
    /// <param name="errors">The exceptions to merge.</param>
    /// <returns>One exception carrying every message.</returns>
    public static MalformedPayloadException Merge(IEnumerable<MalformedPayloadException> errors) =>
        new(errors.SelectMany(e => e.Messages));
}

/// <summary>
/// An optional feature (volumes, proxies, shells, displays, ...) is not supported by this engine or
/// plugin. Engines declare their features up front in <see cref="Engines.EngineCapabilities"/>; the
/// member that implements an undeclared feature throws this.
/// </summary>
public sealed class FeatureNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="feature">The feature, e.g. <c>shells</c>.</param>
    public FeatureNotSupportedException(string feature)
        : base($"The feature '{feature}' is not supported.")
    {
        Feature = feature;
    }

    /// <summary>The feature that is not supported.</summary>
    public string Feature { get; }
}

/// <summary><see cref="Engines.ISandbox.AbortAsync"/> was called on a sandbox that had already finished.</summary>
public sealed class SandboxTerminatedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SandboxTerminatedException()
        : base("The sandbox has already terminated.")
    {
    }
}

/// <summary>
/// The sandbox was aborted; thrown by <see cref="Engines.ISandbox.WaitForResultAsync"/> after an abort. It is an
/// <see cref="OperationCanceledException"/> because an abort always answers a cancellation (cancel, deadline, claim
/// lost, worker shutdown): code that stops on the run's aborted token and code that sees the sandbox aborted take
/// the same path, and a task that ends with it is canceled, not faulted. Catch it before
/// <see cref="OperationCanceledException"/> where the two must be told apart.
/// </summary>
public sealed class SandboxAbortedException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public SandboxAbortedException()
        : base("The sandbox was aborted.")
    {
    }
}

/// <summary>A name (environment variable, proxy, mount point) was set twice.</summary>
public sealed class NamingConflictException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What kind of name, e.g. <c>environment variable</c>.</param>
    /// <param name="name">The conflicting name.</param>
    public NamingConflictException(string kind, string name)
        : base($"The {kind} '{name}' is already set.")
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>What kind of name conflicted.</summary>
    public string Kind { get; }

    /// <summary>The conflicting name.</summary>
    public string Name { get; }
}

/// <summary>A file, folder, volume or display does not exist.</summary>
public sealed class ResourceNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resource">The path or name that was not found.</param>
    public ResourceNotFoundException(string resource)
        : base($"'{resource}' was not found.", resource)
    {
        Resource = resource;
    }

    /// <summary>The path or name that was not found.</summary>
    public string Resource { get; }
}

/// <summary>
/// A path given to a result set leads outside the sandbox (through <c>..</c>, an absolute path or a
/// symlink). It is never read.
/// </summary>
public sealed class PathEscapesSandboxException : UnauthorizedAccessException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The offending path.</param>
    public PathEscapesSandboxException(string path)
        : base($"'{path}' leads outside the task directory.")
    {
        Path = path;
    }

    /// <summary>The offending path.</summary>
    public string Path { get; }
}

/// <summary>
/// Ends the run as <c>exception</c> with the given reason, e.g. <see cref="ExceptionReason.ResourceUnavailable"/>
/// or <see cref="ExceptionReason.IntermittentTask"/>. The message is written to the task log.
/// </summary>
public sealed class TaskException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">The reason the run resolves with.</param>
    /// <param name="message">A message for the task log.</param>
    public TaskException(ExceptionReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>The reason the run resolves with.</summary>
    public ExceptionReason Reason { get; }
}

/// <summary>
/// An engine or plugin failed in a way that leaves it unusable. The run resolves
/// <c>exception/internal-error</c> and the worker stops gracefully.
/// </summary>
public sealed class FatalInternalException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What broke.</param>
    /// <param name="innerException">The cause, if any.</param>
    public FatalInternalException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An engine or plugin failed for this run only. The run resolves <c>exception/internal-error</c>
/// and the worker goes on.
/// </summary>
public sealed class NonFatalInternalException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NonFatalInternalException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An engine or plugin cannot use its config (a missing file, an endpoint it cannot parse, a
/// combination it does not support). Thrown from <c>Create</c> or <c>StartAsync</c>, it stops the
/// worker at start-up with exit code 78 and a message naming the component and the cause.
/// </summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the config, naming the key.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Something an engine needs is not up yet (a daemon still booting, a socket not yet created).
/// Thrown from <see cref="Engines.IEngine.StartAsync"/>, it makes the worker wait and retry, up to
/// <c>worker.startTimeout</c>; then the worker stops with exit code 69 (unavailable) and this message.
/// </summary>
public sealed class DependencyUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is not up, and where the engine looked for it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DependencyUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
