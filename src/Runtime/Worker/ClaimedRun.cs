using System.Net;
using Microsoft.Extensions.Logging;
using TcWorker.Errors;
using TcWorker.Runtime.Artifacts;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Telemetry;
using TcWorker.Taskcluster;
using TcWorker.Tasks;
using TcWorker.Workers;
using TaskRun = TcWorker.Runtime.Tasks.TaskRun;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// One claimed run from claim to resolution: the task run, the reclaim loop with the run's own
/// temporary credentials (replaced on every reclaim), the log upload, and the resolution, retried
/// until the claim expires. Every claimed run ends resolved, unless the queue took it back (409).
/// </summary>
internal sealed class ClaimedRun
{
    /// <summary>The name the full task log is uploaded under, whatever the outcome.</summary>
    public const string BackingLogName = "public/logs/live_backing.log";

    /// <summary>generic-worker's name for the live log; a reference while the task runs, then a link to the backing log.</summary>
    public const string LiveLogName = "public/logs/live.log";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private readonly TaskClaim claim;
    private readonly QueueClient workerQueue;
    private readonly WorkerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly WorkerMetrics metrics;
    private readonly TaskRun run;
    private readonly QueueArtifactPublisher publisher;
    private readonly DateTimeOffset claimedAt;
    private volatile QueueClient queue;
    private DateTimeOffset takenUntil;
    private readonly ClaimRecord? claims;
    private volatile bool claimLost;
    private readonly TaskLogDigest? logDigest;

    public ClaimedRun(TaskClaim claim, QueueClient workerQueue, TaskRunFactory factory, ITemporaryStorage storage, WorkerOptions options, TimeProvider time, ILogger logger, WorkerMetrics metrics, ClaimRecord? claims = null)
    {
        this.claim = claim;
        this.claims = claims;
        this.workerQueue = workerQueue;
        this.options = options;
        this.time = time;
        this.logger = logger;
        this.metrics = metrics;
        claimedAt = time.GetUtcNow();
        takenUntil = claim.TakenUntil;
        queue = workerQueue.WithCredentials(claim.Credentials);
        publisher = new QueueArtifactPublisher(TaskId, RunId, claim.Status.Expires, () => queue, options.ArtifactStorage, storage.Root, line => run?.Log.WriteLine(line));
        run = factory.Create(new ClaimedTask(TaskId, RunId, claim.Task, ToTaskCredentials(claim.Credentials, takenUntil)), storage.NewFilePath("task-log"), publisher);
        // The object service wants the backing log's digests: they are computed while it is written, unless the task
        // turned the full log off (if its payload then proves malformed, the log is uploaded all the same and hashed as it is sent).
        logDigest = options.ArtifactStorage == ArtifactStorageType.Object && !TaskLogNames.BackingTurnedOff(claim.Task) ? TaskLogDigest.Follow(run.Log) : null;
        if (claim.TaskDefinitionError is { } error)
        {
            run.RejectDefinition(error);
        }
    }

    public string TaskId => claim.Status.TaskId;

    public int RunId => claim.RunId;

    /// <summary>Aborts the run (thread-safe; the first reason wins).</summary>
    public void Abort(ExceptionReason reason) => run.Abort(reason);

    /// <summary>Runs the task and resolves it. Never throws.</summary>
    /// <returns>The outcome, or null when the queue took the run back.</returns>
    public async Task<TaskRunOutcome?> RunAsync()
    {
        using var scope = WorkerLog.RunScope(logger, TaskId, RunId);
        // The claim is in the record before the task starts; its flush to the disk runs meanwhile.
        var recorded = Record(takenUntil, claim.Credentials);
        using var span = WorkerTracing.StartRun(TaskId, RunId, options.Identity.WorkerPoolId);
        try
        {
            using var stopReclaiming = new CancellationTokenSource();
            using var deadline = new CancellationTokenSource(Until(claim.Status.Deadline), time);
            using var onDeadline = deadline.Token.Register(() => run.Abort(ExceptionReason.DeadlineExceeded));
            var reclaiming = ReclaimLoopAsync(stopReclaiming.Token);
            var outcome = await run.RunAsync().ConfigureAwait(false);

            // Stop reclaiming before resolving, so a reclaim never races the resolution.
            await stopReclaiming.CancelAsync().ConfigureAwait(false);
            await reclaiming.ConfigureAwait(false);
            if (claimLost)
            {
                return null;
            }

            using (WorkerTracing.StartStage("upload-log"))
            {
                await UploadLogAsync(TaskLogNames.For(claim.Task, outcome)).ConfigureAwait(false);
            }

            if (outcome.ShouldReport)
            {
                using var stage = WorkerTracing.StartStage("resolve");
                await ResolveAsync(outcome).ConfigureAwait(false);
            }

            var state = outcome.State.ToString().ToLowerInvariant();
            metrics.Resolved(state, outcome.Reason?.ToWireString(), time.GetUtcNow() - claimedAt);
            WorkerTracing.Resolved(span, state, outcome.Reason?.ToWireString());
            if (outcome.Fatal)
            {
                WorkerLog.Fatal(logger, TaskId, RunId, outcome.Error?.Message ?? "unknown");
            }

            return outcome;
        }
        catch (Exception e)
        {
            WorkerLog.RunCrashed(logger, TaskId, RunId, e.Message);
            await TryResolveExceptionAsync().ConfigureAwait(false);
            return new TaskRunOutcome { State = TaskRunState.Exception, Reason = ExceptionReason.InternalError, Error = e };
        }
        finally
        {
            await run.DisposeAsync().ConfigureAwait(false);
            if (logDigest is not null)
            {
                await logDigest.DisposeAsync().ConfigureAwait(false);
            }

            TryDelete(run.Log.Path);
            await ObserveAsync(recorded).ConfigureAwait(false);
            Forget();
        }
    }

    /// <summary>Notes the claim (again, after a reclaim) in the record of open claims.</summary>
    /// <returns>The flush of the record to the disk; never faults (see <see cref="ObserveAsync"/>).</returns>
    private Task Record(DateTimeOffset until, TaskclusterCredentials credentials)
    {
        try
        {
            return claims?.Set(new RecordedClaim(TaskId, RunId, until, credentials)) ?? Task.CompletedTask;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WorkerLog.ClaimRecordFailed(logger, claims!.FilePath, TaskId, RunId, e.Message);
            return Task.CompletedTask;
        }
    }

    /// <summary>Waits for a flush of the record; a failed one is logged like a failed write.</summary>
    private async Task ObserveAsync(Task flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WorkerLog.ClaimRecordFailed(logger, claims!.FilePath, TaskId, RunId, e.Message);
        }
    }

    /// <summary>Removes the claim from the record: the run is resolved, or no longer the worker's to resolve.</summary>
    private void Forget()
    {
        try
        {
            claims?.Remove(TaskId, RunId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WorkerLog.ClaimRecordFailed(logger, claims!.FilePath, TaskId, RunId, e.Message);
        }
    }

    private async Task ReclaimLoopAsync(CancellationToken cancellationToken)
    {
        var lastReclaim = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var due = takenUntil - options.ReclaimOffset;
            var earliest = lastReclaim + options.MinimumReclaimDelay;
            var wait = (due > earliest ? due : earliest) - now;
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }

                var response = await queue.ReclaimTaskAsync(TaskId, RunId, cancellationToken).ConfigureAwait(false);
                takenUntil = response.TakenUntil;
                queue = workerQueue.WithCredentials(response.Credentials);
                await ObserveAsync(Record(takenUntil, response.Credentials)).ConfigureAwait(false);
                run.ReplaceCredentials(ToTaskCredentials(response.Credentials, takenUntil));
                lastReclaim = time.GetUtcNow();
                WorkerLog.Reclaimed(logger, TaskId, RunId, takenUntil);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                claimLost = true;
                WorkerLog.ClaimLost(logger, TaskId, RunId);
                run.Abort(ExceptionReason.Canceled);
                return;
            }
            catch (Exception e)
            {
                metrics.ReclaimFailed();
                WorkerLog.ReclaimFailed(logger, TaskId, RunId, e.Message);
                if (time.GetUtcNow() >= takenUntil)
                {
                    // The claim expired: the queue resolves the run claim-expired; nothing more is ours to do.
                    claimLost = true;
                    run.Abort(ExceptionReason.ClaimExpired);
                    return;
                }

                // Retry soon, but never in a tight loop.
                lastReclaim = time.GetUtcNow() - options.MinimumReclaimDelay + TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, (takenUntil - time.GetUtcNow()).TotalSeconds / 10)));
            }
        }
    }

    private async Task UploadLogAsync(TaskLogNames names)
    {
        if (names.Backing is not { } backing)
        {
            return;
        }

        var artifact = new ArtifactUpload { Name = backing, ContentType = "text/plain; charset=utf-8", ContentLength = run.Log.Length };
        await UntilClaimExpiresAsync("uploading the task log", async token =>
        {
            await publisher.UploadAsync(artifact, _ => Task.FromResult<Stream>(File.OpenRead(run.Log.Path)), logDigest is not null && run.Log.IsClosed ? logDigest.Completion : Task.FromResult<ObjectHashes?>(null), token).ConfigureAwait(false);
            if (publisher.HasReference(names.Live))
            {
                // reference -> link is the one change the queue allows on an existing artifact.
                await publisher.CreateLinkAsync(names.Live, backing, cancellationToken: token).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    private async Task ResolveAsync(TaskRunOutcome outcome)
    {
        var resolution = outcome.ToString();
        var resolved = await UntilClaimExpiresAsync($"resolving as {resolution}", async token =>
        {
            _ = outcome.State switch
            {
                TaskRunState.Completed => await queue.ReportCompletedAsync(TaskId, RunId, token).ConfigureAwait(false),
                TaskRunState.Failed => await queue.ReportFailedAsync(TaskId, RunId, token).ConfigureAwait(false),
                _ => await queue.ReportExceptionAsync(TaskId, RunId, outcome.Reason!.Value.ToWireString(), token).ConfigureAwait(false),
            };
        }).ConfigureAwait(false);
        if (resolved)
        {
            WorkerLog.Resolved(logger, TaskId, RunId, resolution);
        }
    }

    /// <summary>
    /// Tries a call until it succeeds, a 4xx says it never will (409: the run was resolved already),
    /// or the claim expires; the client has already retried each attempt on 5xx and network errors.
    /// </summary>
    private async Task<bool> UntilClaimExpiresAsync(string what, Func<CancellationToken, Task> call)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        using var expiry = new CancellationTokenSource(Until(takenUntil), time);
        while (true)
        {
            try
            {
                await call(expiry.Token).ConfigureAwait(false);
                return true;
            }
            catch (TaskclusterException e) when (e.StatusCode is { } status && (int)status < 500)
            {
                WorkerLog.CallFailed(logger, TaskId, RunId, what, e.Message);
                return false;
            }
            catch (Exception e) when (!expiry.IsCancellationRequested)
            {
                WorkerLog.CallFailed(logger, TaskId, RunId, what, e.Message);
                try
                {
                    await Task.Delay(delay, time, expiry.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }

                delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
            }
            catch (Exception e)
            {
                WorkerLog.CallFailed(logger, TaskId, RunId, what, e.Message + " (the claim expired)");
                return false;
            }
        }
    }

    private async Task TryResolveExceptionAsync()
    {
        try
        {
            using var expiry = new CancellationTokenSource(Until(takenUntil), time);
            await queue.ReportExceptionAsync(TaskId, RunId, ExceptionReason.InternalError.ToWireString(), expiry.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            WorkerLog.CallFailed(logger, TaskId, RunId, "resolving as exception/internal-error", e.Message);
        }
    }

    private TimeSpan Until(DateTimeOffset when)
    {
        var left = when - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static TaskCredentials ToTaskCredentials(TaskclusterCredentials credentials, DateTimeOffset expires) =>
        new(credentials.ClientId, credentials.AccessToken, credentials.Certificate, expires);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the temporary folder's clean-up.
        }
    }
}
