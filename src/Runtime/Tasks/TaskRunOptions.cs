namespace TcWorker.Runtime.Tasks;

/// <summary>Settings of task runs.</summary>
public sealed record TaskRunOptions
{
    /// <summary>The default <see cref="HookTimeout"/>: 30 minutes, as in taskcluster-worker.</summary>
    public static readonly TimeSpan DefaultHookTimeout = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The root URL of the Taskcluster deployment tasks come from (<see cref="TcWorker.Tasks.ITaskContext.RootUrl"/>).
    /// </summary>
    public required string RootUrl { get; init; }

    /// <summary>
    /// How long one plugin hook (creation, a stage, disposal) may take before the run gives up on it
    /// and resolves <c>exception/internal-error</c>.
    /// </summary>
    public TimeSpan HookTimeout { get; init; } = DefaultHookTimeout;
}
