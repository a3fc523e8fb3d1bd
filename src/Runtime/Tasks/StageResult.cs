namespace TcWorker.Runtime.Tasks;

/// <summary>
/// What one stage of a task run ended with: the run goes on, or it ends in the exception stage
/// because components failed (<see cref="Failures"/>) or the run was aborted (the abort has pinned
/// the resolution already). Failures win over an abort that came at the same time.
/// </summary>
internal readonly record struct StageResult
{
    private StageResult(IReadOnlyList<HookFailure> failures, bool aborted) => (Failures, Aborted) = (failures, aborted);

    /// <summary>The stage did its work: the next stage runs.</summary>
    public static StageResult Passed { get; } = new([], false);

    /// <summary>The run was aborted during the stage.</summary>
    public static StageResult Abort { get; } = new([], true);

    /// <summary>The components that failed in the stage; empty when none did.</summary>
    public IReadOnlyList<HookFailure> Failures { get; }

    /// <summary>Whether the run was aborted during the stage (and nothing failed).</summary>
    public bool Aborted { get; }

    /// <summary>Whether the next stage runs.</summary>
    public bool GoesOn => Failures.Count == 0 && !Aborted;

    /// <summary>Failed when <paramref name="failures"/> has any, else passed.</summary>
    public static StageResult Of(IReadOnlyList<HookFailure> failures) => failures.Count > 0 ? new(failures, false) : Passed;

    /// <summary>Failed when <paramref name="failures"/> has any, else aborted when <paramref name="aborted"/> fired, else passed.</summary>
    public static StageResult Of(IReadOnlyList<HookFailure> failures, CancellationToken aborted) =>
        failures.Count > 0 ? new(failures, false) : aborted.IsCancellationRequested ? Abort : Passed;

    /// <summary>One component failed.</summary>
    public static StageResult Failed(HookFailure failure) => new([failure], false);
}

/// <summary>A stage's result with the value it produced when it passed (the sandbox builder, the sandbox, the result set, the plugins' verdict).</summary>
/// <typeparam name="T">What the stage produces.</typeparam>
internal readonly record struct StageResult<T>(StageResult Result, T? Value)
{
    /// <summary>The stage ended the run: it produced nothing.</summary>
    public static StageResult<T> Ended(StageResult result) => new(result, default);
}
