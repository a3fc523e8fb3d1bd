using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Runtime.Telemetry;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// One run of one claimed task through the stages prepare, build, start, started, wait, stopped and
/// finished (or exception), then dispose. Created by <see cref="TaskRunFactory.Create"/>; runs once.
/// Nothing the engine or a plugin does escapes <see cref="RunAsync"/>: every error becomes the
/// run's outcome. <see cref="Abort"/> and <see cref="ReplaceCredentials"/> are thread-safe and may be
/// called at any time, also before and after <see cref="RunAsync"/>.
/// </summary>
public sealed class TaskRun : IAsyncDisposable
{
    private readonly TaskPayloadSchema schema;
    private readonly IReadOnlyDictionary<string, EngineSlots> slots;
    private readonly HookGuard guard;
    private readonly ILogger logger;
    private readonly CancellationTokenSource abort = new();
    private readonly CancellationTokenSource stopNow = new();
    private readonly RunResolution resolution = new();
    private readonly TaskContext context;
    private readonly TaskPluginSet plugins;
    private readonly List<HookFailure> lateFailures = [];
    private readonly RunFailures failures;
    private EngineBranch branch;
    private EngineSlots? slot;
    private ISandboxBuilder? builder;
    private ISandbox? sandbox;
    private IResultSet? result;
    private bool sandboxStopped;
    private int? exitCode;
    private int started;
    private string? definitionError;

    internal TaskRun(
        ClaimedTask claim, string logPath, IArtifactPublisher artifacts, TaskPayloadSchema schema, IReadOnlyDictionary<string, EngineSlots> slots,
        TaskRunOptions options, ILogger logger, TimeProvider time)
    {
        this.schema = schema;
        this.slots = slots;
        branch = schema.Branches[0];
        this.logger = logger;
        guard = new HookGuard(options.HookTimeout, time, logger);
        plugins = new TaskPluginSet(guard);
        Log = new TaskLog(logPath, LogFailed);
        context = new TaskContext(claim, options.RootUrl, Log, artifacts, abort.Token);
        failures = new RunFailures(claim, Log, logger, resolution, abort.Token);
    }

    /// <summary>The task's id.</summary>
    public string TaskId => context.TaskId;

    /// <summary>The run's number.</summary>
    public int RunId => context.RunId;

    /// <summary>
    /// The task log. It is closed before the finished (or exception) hooks run; the file at
    /// <see cref="TaskLog.Path"/> stays after the run for the owner to delete.
    /// </summary>
    public TaskLog Log { get; }

    /// <summary>The context engines and plugins see.</summary>
    public ITaskContext Context => context;

    /// <summary>The engine that runs the task (the first one until the payload has chosen), for messages.</summary>
    private string Engine => $"engine '{branch.EngineName}'";

    /// <summary>
    /// Aborts the run: fires <see cref="ITaskContext.Aborted"/> and pins the resolution to
    /// <c>exception/&lt;reason&gt;</c> unless the outcome was already decided (the first reason wins).
    /// <see cref="ExceptionReason.WorkerShutdown"/> also cuts the finished and exception hooks short.
    /// A task over its max run time is killed by its plugin, not aborted. Thread-safe; never throws.
    /// </summary>
    /// <param name="reason">Typically <c>canceled</c> (the claim is gone: cancelled, deadline, reclaim refused) or <c>worker-shutdown</c>.</param>
    public void Abort(ExceptionReason reason)
    {
        if (resolution.TryPinException(reason, null))
        {
            Log.WriteErrorLine($"Run aborted: {reason.ToWireString()}");
            TaskRunLog.Aborted(logger, TaskId, RunId, reason.ToWireString());
        }

        if (reason == ExceptionReason.WorkerShutdown)
        {
            Cancel(stopNow);
        }

        Cancel(abort);
    }

    /// <summary>The task definition could not be read (the claim carried an empty one): the run resolves <c>exception/malformed-payload</c> with this message, before any engine or plugin work. Call before <see cref="RunAsync"/>.</summary>
    /// <param name="error">What is wrong with the definition.</param>
    internal void RejectDefinition(string error) => definitionError = error;

    /// <summary>Installs the temporary credentials of a reclaim; <see cref="ITaskContext.Credentials"/> returns them from now on.</summary>
    /// <param name="credentials">The new credentials.</param>
    public void ReplaceCredentials(TaskCredentials credentials) => context.ReplaceCredentials(credentials);

    /// <summary>
    /// Runs the task through every stage and disposes everything it created, in reverse order of
    /// creation. Never throws for anything the task, the engine or a plugin does. Call once.
    /// </summary>
    /// <param name="cancellationToken">The worker stops now: the same as <see cref="Abort"/> with <c>worker-shutdown</c>.</param>
    /// <returns>The outcome to report to the queue.</returns>
    public async Task<TaskRunOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("A task run runs only once.");
        }

        using var registration = cancellationToken.Register(() => Abort(ExceptionReason.WorkerShutdown));
        var aborted = abort.Token;
        var finished = false;
        try
        {
            var ran = await RunUntilDecidedAsync(aborted).ConfigureAwait(false);
            if (ran.Result.Failures.Count > 0)
            {
                failures.Fail(ran.Result.Failures);
            }
            else if (ran.Result.GoesOn && resolution.TryPinResult(ran.Value))
            {
                finished = true;
                using var stage = WorkerTracing.StartStage("finished");
                await FinishedAsync(ran.Value).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The runtime's own wait observed the abort, which pinned the resolution already.
        }
        catch (Exception e)
        {
            // A fault of the runtime itself: the run still ends, in an exception.
            failures.Fail([new HookFailure("the runtime", "run", e)]);
        }

        if (!finished)
        {
            using var stage = WorkerTracing.StartStage("exception");
            await ExceptionStageAsync().ConfigureAwait(false);
        }

        if (Log.WriteError is { } logError)
        {
            // A log that cannot be written (a full disk) is the worker's trouble, not the task's.
            failures.FailAfterDecision([new HookFailure("the task log", "write", logError)]);
        }

        using (WorkerTracing.StartStage("dispose"))
        {
            await DisposeComponentsAsync().ConfigureAwait(false);
        }

        var outcome = resolution.ToOutcome(exitCode);
        TaskRunLog.Resolved(logger, TaskId, RunId, outcome.ToString());
        return outcome;
    }

    /// <summary>
    /// The stages up to the plugins' verdict, in order; each runs only when the one before passed.
    /// A stage that fails or sees the abort ends the run here, and the exception stage follows.
    /// </summary>
    /// <returns>The verdict of the stopped hooks (success or not), or how the run ended before it.</returns>
    private async Task<StageResult<bool>> RunUntilDecidedAsync(CancellationToken aborted)
    {
        var stage = await StageAsync("prepare", PrepareAsync, aborted).ConfigureAwait(false);
        if (stage.GoesOn)
        {
            stage = await StageAsync("build", BuildAsync, aborted).ConfigureAwait(false);
        }

        if (stage.GoesOn)
        {
            stage = await StageAsync("start", StartAsync, aborted).ConfigureAwait(false);
        }

        if (stage.GoesOn)
        {
            stage = await StageAsync("started", StartedAsync, aborted).ConfigureAwait(false);
        }

        if (stage.GoesOn)
        {
            stage = await StageAsync("wait", WaitAsync, aborted).ConfigureAwait(false);
        }

        if (!stage.GoesOn)
        {
            return StageResult<bool>.Ended(stage);
        }

        using var span = WorkerTracing.StartStage("stopped");
        return await StoppedAsync(aborted).ConfigureAwait(false);
    }

    /// <summary>Runs one stage inside its telemetry span.</summary>
    private static async Task<StageResult> StageAsync(string name, Func<CancellationToken, Task<StageResult>> stage, CancellationToken aborted)
    {
        using var span = WorkerTracing.StartStage(name);
        return await stage(aborted).ConfigureAwait(false);
    }

    /// <summary>Closes the log if <see cref="RunAsync"/> never ran. The log file stays.</summary>
    /// <returns>When done.</returns>
    public async ValueTask DisposeAsync() => await Log.CloseAsync().ConfigureAwait(false);

    /// <summary>The task log broke (a full disk, a failing log filter): the task's output has nowhere to go, so the run ends now.</summary>
    private void LogFailed(Exception error)
    {
        if (resolution.TryPinException(ExceptionReason.InternalError, error))
        {
            TaskRunLog.Aborted(logger, TaskId, RunId, $"{ExceptionReason.InternalError.ToWireString()} (the task log failed: {error.Message})");
        }

        Cancel(abort);
    }

    /// <summary>
    /// Cancels without running the token's callbacks on the caller's thread: the caller (a reclaim
    /// loop, a shutdown) must not end up running the rest of the task run. A throwing callback
    /// registered by a plugin is ignored; the cancellation itself has happened.
    /// </summary>
    private static void Cancel(CancellationTokenSource source) =>
        _ = source.CancelAsync().ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>Matches the payload to an engine, takes the engine's slot, and creates the sandbox builder and the plugins side by side.</summary>
    private async Task<StageResult> PrepareAsync(CancellationToken aborted)
    {
        if (aborted.IsCancellationRequested)
        {
            return StageResult.Abort;
        }

        var payloadToken = context.Task["payload"];
        var match = schema.Match(payloadToken);
        branch = match.Branch;
        var payload = payloadToken as JObject ?? [];
        var valid = match.Violations.Count == 0 && definitionError is null;
        var prepareFailures = new List<HookFailure>();
        if (!valid)
        {
            prepareFailures.Add(definitionError is null
                ? new HookFailure("the task payload", "prepare", new MalformedPayloadException(match.Violations))
                : new HookFailure("the task definition", "prepare", new MalformedPayloadException(definitionError)));
        }
        else if (!await EnterEngineAsync(aborted).ConfigureAwait(false))
        {
            return StageResult.Abort;
        }

        var creatingBuilder = valid ? CreateBuilderAsync(payload, aborted) : Task.FromResult(StageResult.Passed);
        prepareFailures.AddRange(await plugins.CreateAsync(branch.Plugins, payload, valid, context, new TaskEngine(branch.EngineName, branch.Engine.Engine), aborted).ConfigureAwait(false));
        prepareFailures.AddRange((await creatingBuilder.ConfigureAwait(false)).Failures);
        return StageResult.Of(prepareFailures, aborted);
    }

    /// <summary>Takes a slot of the chosen engine, waiting (and saying so) while it runs as many tasks as it can.</summary>
    /// <returns>False when the run was aborted while waiting.</returns>
    private async Task<bool> EnterEngineAsync(CancellationToken aborted)
    {
        if (!slots.TryGetValue(branch.EngineName, out var engineSlots))
        {
            return true;
        }

        if (!engineSlots.TryEnter())
        {
            Log.WriteLine($"Waiting for {Engine}: it runs at most {engineSlots.MaxConcurrency} task(s) at once");
            try
            {
                await engineSlots.EnterAsync(aborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return false;
            }
        }

        slot = engineSlots;
        return true;
    }

    /// <summary>Asks the engine for the sandbox builder; an abort is not a failure of the builder.</summary>
    private async Task<StageResult> CreateBuilderAsync(JObject payload, CancellationToken aborted)
    {
        var options = new SandboxOptions { Task = context, Payload = branch.EnginePayload(payload) };
        var engine = branch.Engine.Engine;
        var created = await EngineAsync("prepare", t => engine.CreateSandboxBuilderAsync(options, t), aborted).ConfigureAwait(false);
        builder = created.Value;
        return created.Result.Aborted ? StageResult.Passed : created.Result;
    }

    /// <summary>
    /// Calls the engine; no hook timeout (an image pull may take long), but an abort stops waiting and the late result is disposed.
    /// The engine's error becomes the stage's failure.
    /// </summary>
    private async Task<StageResult<T>> EngineAsync<T>(string stage, Func<CancellationToken, Task<T>> call, CancellationToken aborted)
        where T : IAsyncDisposable
    {
        // On the thread pool, so that an engine call that blocks its thread cannot defeat an abort.
        var task = Task.Run(() => call(aborted), CancellationToken.None);
        try
        {
            return new(StageResult.Passed, await task.WaitAsync(aborted).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            guard.DisposeWhenDone(task, Engine);
            return StageResult<T>.Ended(StageResult.Abort);
        }
        catch (Exception e)
        {
            return StageResult<T>.Ended(StageResult.Failed(new HookFailure(Engine, stage, e)));
        }
    }

    /// <summary>The plugins' build hooks shape the sandbox.</summary>
    private async Task<StageResult> BuildAsync(CancellationToken aborted) =>
        StageResult.Of(await plugins.RunAsync("build", (p, t) => p.BuildSandboxAsync(builder!, t), aborted).ConfigureAwait(false), aborted);

    /// <summary>The engine starts the sandbox.</summary>
    private async Task<StageResult> StartAsync(CancellationToken aborted)
    {
        Log.WriteLine($"Task {TaskId} run {RunId} starting on {Engine}");
        var start = await EngineAsync("start", t => builder!.StartAsync(t), aborted).ConfigureAwait(false);
        sandbox = start.Value;
        if (start.Result.GoesOn)
        {
            TaskRunLog.Started(logger, TaskId, RunId, branch.EngineName);
        }

        return start.Result;
    }

    /// <summary>
    /// The plugins' started hooks. No abort check of its own: the wait stage sees an abort, and
    /// still collects a result that is already there.
    /// </summary>
    private async Task<StageResult> StartedAsync(CancellationToken aborted) =>
        StageResult.Of(await plugins.RunAsync("started", (p, t) => p.StartedAsync(sandbox!, t), aborted).ConfigureAwait(false));

    /// <summary>Waits for the task's result; on an abort, stops the sandbox.</summary>
    private async Task<StageResult> WaitAsync(CancellationToken aborted)
    {
        try
        {
            result = await sandbox!.WaitForResultAsync(CancellationToken.None).WaitAsync(aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            await StopSandboxAsync().ConfigureAwait(false);
            return StageResult.Abort;
        }
        catch (Exception e)
        {
            return StageResult.Failed(new HookFailure(Engine, "wait", e));
        }

        exitCode = result.ExitCode;
        Log.WriteLine(exitCode is { } code ? $"Exit code {code}" : "The task ended without an exit code");
        return StageResult.Passed;
    }

    /// <summary>The stopped hooks give the verdict: success when every plugin says so.</summary>
    private async Task<StageResult<bool>> StoppedAsync(CancellationToken aborted)
    {
        var (answers, stoppedFailures) = await plugins.RunAsync("stopped", (p, t) => p.StoppedAsync(result!, t), aborted).ConfigureAwait(false);
        var stage = StageResult.Of(stoppedFailures, aborted);
        return new(stage, stage.GoesOn && answers.All(success => success));
    }

    private async Task FinishedAsync(bool success)
    {
        await CloseLogAsync().ConfigureAwait(false);
        failures.FailAfterDecision(await plugins.RunAsync("finished", (p, t) => p.FinishedAsync(success, t), stopNow.Token).ConfigureAwait(false));
    }

    private async Task ExceptionStageAsync()
    {
        await StopSandboxAsync().ConfigureAwait(false);
        await CloseLogAsync().ConfigureAwait(false);
        var reason = resolution.ToOutcome(exitCode).Reason ?? ExceptionReason.InternalError;
        failures.ReportLate(await plugins.RunAsync("exception", (p, t) => p.ExceptionAsync(reason, t), stopNow.Token).ConfigureAwait(false));
    }

    private async Task CloseLogAsync()
    {
        Log.WriteLine($"Task {TaskId} run {RunId} resolved as {resolution.ToOutcome(exitCode)}");
        await Log.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Aborts a sandbox that has not given its result; when it had already ended, collects the result so it gets disposed.</summary>
    private async Task StopSandboxAsync()
    {
        if (sandbox is null || result is not null || sandboxStopped)
        {
            return;
        }

        sandboxStopped = true;
        var aborting = await guard.RunAsync($"{Engine} (abort)", _ => sandbox.AbortAsync(), CancellationToken.None).ConfigureAwait(false);
        if (aborting.Error is SandboxTerminatedException)
        {
            var collected = await guard.RunAsync($"{Engine} (wait)", t => sandbox.WaitForResultAsync(t), CancellationToken.None).ConfigureAwait(false);
            result = collected.Value;
        }
        else if (!aborting.Succeeded)
        {
            lateFailures.Add(new HookFailure(Engine, "abort", aborting.Error!));
        }
    }

    private async Task DisposeComponentsAsync()
    {
        await StopSandboxAsync().ConfigureAwait(false);
        await Log.CloseAsync().ConfigureAwait(false);
        var disposeFailures = new List<HookFailure>(lateFailures);
        foreach (var (what, disposable) in new (string, IAsyncDisposable?)[] { ("result set", result), ("sandbox", sandbox), ("sandbox builder", builder) })
        {
            var disposed = await guard.DisposeAsync($"the {what} of {Engine}", disposable).ConfigureAwait(false);
            if (!disposed.Succeeded)
            {
                disposeFailures.Add(new HookFailure(Engine, $"dispose {what}", disposed.Error!));
            }
        }

        // The engine's part of the run is over: another task may have its slot.
        slot?.Exit();
        slot = null;
        disposeFailures.AddRange(await plugins.DisposeAsync().ConfigureAwait(false));
        failures.ReportLate(disposeFailures);
    }
}
