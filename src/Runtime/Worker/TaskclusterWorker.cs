using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TcWorker.Errors;
using TcWorker.Runtime.EngineChecks;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;
using TcWorker.Workers;

namespace TcWorker.Runtime.Worker;

/// <summary>Why the worker loop ended.</summary>
public enum WorkerStopReason
{
    /// <summary>A graceful stop was asked for (signal, worker-runner, a plugin) and running tasks finished or were aborted.</summary>
    Stopped,

    /// <summary>The configured number of tasks ran.</summary>
    TaskLimitReached,

    /// <summary>The worker was idle for the configured time.</summary>
    IdleTimeout,

    /// <summary>A run ended with a fatal error.</summary>
    FatalError,

    /// <summary>The engines stayed unhealthy for <c>worker.unhealthyTimeout</c>; running tasks finished or were aborted as on a graceful stop.</summary>
    Unhealthy,
}

/// <summary>
/// The worker loop: claims exactly the free capacity (bounded by the engines' MaxConcurrency) with
/// long polls, runs each claim with its own credentials, reclaims, resolves, and stops gracefully or
/// now through <see cref="WorkerLifetime"/>. Before each claim it checks the engines' health and the
/// free disk space (collecting garbage when it is low) and claims nothing while either is wanting;
/// engines unhealthy for <c>worker.unhealthyTimeout</c> stop it gracefully. While it runs no task,
/// the plugins hear about it once a minute. The same loop serves <c>work</c>, <c>run</c> and <c>local</c>.
/// </summary>
public sealed class TaskclusterWorker
{
    private static readonly TimeSpan MaxClaimBackoff = TimeSpan.FromSeconds(60);
    private volatile QueueClient queue;
    private readonly TaskRunFactory factory;
    private readonly ITemporaryStorage storage;
    private readonly WorkerLifetime lifetime;
    private readonly WorkerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly WorkerMetrics metrics;
    private readonly int capacity;
    private readonly ConcurrentDictionary<ClaimedRun, Task> running = new();
    private readonly SemaphoreSlim finished = new(0);
    private readonly EngineHealthMonitor health;
    private readonly DiskSpaceGuard disk;
    private readonly PluginReports reports;
    private readonly ClaimRecord? claims;
    private readonly Func<WorkerError, Task>? reportError;
    private readonly ClaimLoopProgress progress;
    private long idleSinceTicks;
    private volatile bool fatal;
    private volatile bool unhealthy;

    /// <summary>Creates the worker.</summary>
    /// <param name="queue">A queue client with the worker's own credentials.</param>
    /// <param name="factory">Creates task runs with the configured engine and plugins.</param>
    /// <param name="engineMaxConcurrency">
    /// The most tasks the engines run at once together (0 for unbounded): with several engines, the sum of
    /// their MaxConcurrency (<see cref="TaskRunComponents.MaxConcurrency"/>); each engine's own limit is kept by the runs.
    /// </param>
    /// <param name="storage">Where task logs go.</param>
    /// <param name="lifetime">Stops the worker.</param>
    /// <param name="options">Identity, capacity and timing.</param>
    /// <param name="loggerFactory">The worker's logging.</param>
    /// <param name="metrics">The worker's metrics.</param>
    /// <param name="time">The clock.</param>
    public TaskclusterWorker(QueueClient queue, TaskRunFactory factory, int engineMaxConcurrency, ITemporaryStorage storage, WorkerLifetime lifetime, WorkerOptions options, ILoggerFactory loggerFactory, WorkerMetrics metrics, TimeProvider? time = null)
        : this(queue, factory, engineMaxConcurrency, storage, lifetime, options, loggerFactory, metrics, time, null)
    {
    }

    /// <summary>Creates the worker with the engines to watch, the plugins to tell and the garbage collector to run before claims.</summary>
    internal TaskclusterWorker(QueueClient queue, TaskRunFactory factory, int engineMaxConcurrency, ITemporaryStorage storage, WorkerLifetime lifetime, WorkerOptions options, ILoggerFactory loggerFactory, WorkerMetrics metrics, TimeProvider? time, WorkerUpkeep? upkeep)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(storage);
        this.queue = queue;
        this.factory = factory;
        this.storage = storage;
        this.lifetime = lifetime;
        this.options = options;
        this.metrics = metrics;
        this.time = time ?? TimeProvider.System;
        logger = loggerFactory.CreateLogger<TaskclusterWorker>();
        capacity = engineMaxConcurrency > 0 ? Math.Min(options.Capacity, engineMaxConcurrency) : options.Capacity;
        upkeep ??= new WorkerUpkeep([], [], new GarbageCollector(() => GarbageCollector.FreeBytes(storage.Root), options.MinimumDiskSpace, logger), null);
        health = new EngineHealthMonitor(upkeep.Engines, options.HealthCheckInterval, options.UnhealthyTimeout, this.time, logger, upkeep.ReportError);
        disk = new DiskSpaceGuard(upkeep.Collector, storage.Root, logger);
        reports = new PluginReports(upkeep.Plugins, this.time, logger);
        claims = upkeep.Claims;
        reportError = upkeep.ReportError;
        progress = upkeep.Progress ?? new ClaimLoopProgress(this.time);
        idleSinceTicks = this.time.GetUtcNow().UtcTicks;
        metrics.CapacityIs(capacity);
    }

    /// <summary>Uses new worker credentials for later claims (worker-runner renews them); runs keep their own.</summary>
    /// <param name="credentials">The new credentials.</param>
    public void ReplaceCredentials(TaskclusterCredentials credentials)
    {
        queue = queue.WithCredentials(credentials);
        WorkerLog.NewCredentials(logger, credentials.ClientId);
    }

    /// <summary>The number of tasks running now.</summary>
    public int Running => running.Count;

    /// <summary>The effective capacity: the configured one, bounded by the engines.</summary>
    public int Capacity => capacity;

    /// <summary>Runs until asked to stop; then lets running tasks finish (within the grace period) or aborts them.</summary>
    /// <returns>Why the loop ended.</returns>
    public async Task<WorkerStopReason> RunAsync()
    {
        WorkerLog.Started(logger, options.Identity.WorkerGroup, options.Identity.WorkerId, options.Identity.WorkerPoolId, queue.Client.Options.RootUrl, capacity);
        using var stopUpkeep = new CancellationTokenSource();
        var upkeep = Task.WhenAll(health.RunAsync(stopUpkeep.Token), reports.RunAsync(IdleSince, stopUpkeep.Token), StopWhenUnhealthyTooLongAsync(stopUpkeep.Token));
        try
        {
            var reason = await ClaimLoopAsync().ConfigureAwait(false);

            // Done claiming: waiting for the running tasks (for as long as they take) is no stall.
            progress.Waiting(null);
            if (reason != WorkerStopReason.Stopped)
            {
                // Done claiming, not asked to stop: let the running tasks finish, unless a stop comes.
                await WaitAsync(Task.WhenAny(Task.WhenAll(running.Values), Task.Delay(Timeout.Infinite, lifetime.StoppingGracefully))).ConfigureAwait(false);
            }

            await DrainAsync().ConfigureAwait(false);
            return fatal ? WorkerStopReason.FatalError : unhealthy ? WorkerStopReason.Unhealthy : reason;
        }
        finally
        {
            await stopUpkeep.CancelAsync().ConfigureAwait(false);
            await upkeep.ConfigureAwait(false);
            health.Dispose();
        }
    }

    /// <summary>Since when the worker runs no task; null while it runs one.</summary>
    private DateTimeOffset? IdleSince() => running.IsEmpty ? new DateTimeOffset(Interlocked.Read(ref idleSinceTicks), TimeSpan.Zero) : null;

    private void NoteBusy() => Interlocked.Exchange(ref idleSinceTicks, time.GetUtcNow().UtcTicks);

    private async Task StopWhenUnhealthyTooLongAsync(CancellationToken stopping)
    {
        await WaitAsync(health.Expired.WaitAsync(stopping)).ConfigureAwait(false);
        if (health.Expired.IsCompleted)
        {
            // As a graceful stop: no more claims, running tasks get the grace period.
            unhealthy = true;
            lifetime.StopGracefully();
        }
    }

    private async Task<WorkerStopReason> ClaimLoopAsync()
    {
        var stopping = lifetime.StoppingGracefully;
        var claimed = 0;
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            progress.Beat();
            if (options.NumberOfTasksToRun is { } limit && claimed >= limit)
            {
                return Stop(WorkerStopReason.TaskLimitReached, $"claimed {claimed} task(s), the configured numberOfTasksToRun");
            }

            if (!running.IsEmpty)
            {
                NoteBusy();
            }
            else if (options.IdleTimeout is { } idle && time.GetUtcNow() - IdleSince() >= idle)
            {
                return Stop(WorkerStopReason.IdleTimeout, $"idle for {idle}");
            }

            var free = capacity - running.Count;
            if (options.NumberOfTasksToRun is { } max)
            {
                free = Math.Min(free, max - claimed);
            }

            if (free <= 0)
            {
                progress.Waiting(null);
                await WaitAsync(finished.WaitAsync(stopping)).ConfigureAwait(false);
                continue;
            }

            if (!await MayClaimAsync(stopping).ConfigureAwait(false))
            {
                progress.Waiting(health.Interval);
                await WaitAsync(Task.Delay(health.Interval, time, stopping)).ConfigureAwait(false);
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            ClaimWorkResponse response;
            try
            {
                // Never given up for the idle timeout: the queue may already have claimed tasks for this answer,
                // and they would be lost until their claims expire. The idle check waits for the next round.
                response = await queue.ClaimWorkAsync(
                    options.Identity.WorkerPoolId,
                    new ClaimWorkRequest { WorkerGroup = options.Identity.WorkerGroup, WorkerId = options.Identity.WorkerId, Tasks = Math.Min(free, 32) },
                    stopping).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException)
            {
                continue;
            }
            catch (Exception e)
            {
                failures++;
                var delay = Backoff(failures);
                WorkerLog.ClaimFailed(logger, delay, e.Message);
                progress.Waiting(delay);
                await WaitAsync(Task.Delay(delay, time, stopping)).ConfigureAwait(false);
                continue;
            }

            if (response.Tasks.Count > 0)
            {
                metrics.Claimed(response.Tasks.Count, Stopwatch.GetElapsedTime(started));
            }

            foreach (var claim in response.Tasks)
            {
                claimed++;
                WorkerLog.Claimed(logger, claim.Status.TaskId, claim.RunId);
                Start(claim);
            }

            if (response.Tasks.Count == 0 && options.PollingInterval > TimeSpan.Zero)
            {
                progress.Waiting(options.PollingInterval);
                await WaitAsync(Task.Delay(options.PollingInterval, time, stopping)).ConfigureAwait(false);
            }
        }

        return Stop(WorkerStopReason.Stopped, fatal ? "a run ended with a fatal error" : unhealthy ? "the engines stayed unhealthy for worker.unhealthyTimeout" : "asked to stop");
    }

    private void Start(TaskClaim claim)
    {
        var run = new ClaimedRun(claim, queue, factory, storage, options, time, logger, metrics, claims);
        var stopNow = lifetime.StoppingNow.Register(() => run.Abort(ExceptionReason.WorkerShutdown));
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(async () =>
        {
            // Only once the run is in the table, so that its removal can never come first.
            await registered.Task.ConfigureAwait(false);
            metrics.RunStarted();
            try
            {
                var outcome = await run.RunAsync().ConfigureAwait(false);
                reports.RunEnded(outcome);
                if (outcome?.Fatal == true)
                {
                    await ReportFatalAsync(run, outcome).ConfigureAwait(false);
                    if (options.StopOnFatalError)
                    {
                        fatal = true;
                        lifetime.StopGracefully();
                    }
                }
            }
            finally
            {
                metrics.RunEnded();
                await stopNow.DisposeAsync().ConfigureAwait(false);
                NoteBusy();
                running.TryRemove(run, out _);
                finished.Release();
            }
        });
        running[run] = task;
        registered.SetResult();
    }

    /// <summary>Tells worker-runner (when run by it) about a run's fatal engine or plugin error, for worker-manager's worker pool errors.</summary>
    private async Task ReportFatalAsync(ClaimedRun run, TaskRunOutcome outcome)
    {
        if (reportError is null)
        {
            return;
        }

        try
        {
            var what = outcome.Error?.Message ?? "unknown";
            await reportError(new WorkerError(
                "Fatal engine or plugin error",
                $"Task {run.TaskId} run {run.RunId} ended with a fatal error: {what}" + (options.StopOnFatalError ? "; the worker stops." : "."),
                new Dictionary<string, string> { ["taskId"] = run.TaskId, ["runId"] = run.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["resolution"] = outcome.ToString() })).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            WorkerLog.ProtocolProblem(logger, $"the fatal error report could not be sent ({e.Message})");
        }
    }

    private async Task DrainAsync()
    {
        if (running.IsEmpty)
        {
            return;
        }

        var all = Task.WhenAll(running.Values);
        var grace = Task.Delay(options.ShutdownGracePeriod, time, lifetime.StoppingNow);
        await Task.WhenAny(all, grace).ConfigureAwait(false);
        if (!all.IsCompleted)
        {
            WorkerLog.AbortingRunning(logger, running.Count);
            foreach (var run in running.Keys)
            {
                run.Abort(ExceptionReason.WorkerShutdown);
            }

            await all.ConfigureAwait(false);
        }
    }

    private WorkerStopReason Stop(WorkerStopReason reason, string why)
    {
        WorkerLog.Stopping(logger, why);
        return reason;
    }

    /// <summary>Healthy engines first (a cheap question), then enough disk space (which may collect garbage).</summary>
    private async Task<bool> MayClaimAsync(CancellationToken stopping)
    {
        try
        {
            return await health.CheckAsync(stopping).ConfigureAwait(false) && await disk.HasSpaceAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(MaxClaimBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures, 10)) * 0.5);
        return TimeSpan.FromSeconds(seconds * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }

    private static async Task WaitAsync(Task wait)
    {
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition sees it.
        }
    }
}

/// <summary>What the worker loop looks after besides claiming: the engines' health, the plugins' reports, the garbage collector.</summary>
/// <param name="Engines">The engines with their configured names.</param>
/// <param name="Plugins">The enabled plugins.</param>
/// <param name="Collector">The garbage collector engines and plugins register with; it also knows the free disk space and its minimum.</param>
/// <param name="ReportError">Reports to worker-runner; null when not run by it.</param>
/// <param name="Claims">The durable record of open claims; null keeps none.</param>
/// <param name="Progress">Follows the claim loop for the service manager's watchdog; null when nothing watches.</param>
internal sealed record WorkerUpkeep(IReadOnlyList<NamedEngine> Engines, IReadOnlyList<NamedPlugin> Plugins, GarbageCollector Collector, Func<WorkerError, Task>? ReportError, ClaimRecord? Claims = null, ClaimLoopProgress? Progress = null);
