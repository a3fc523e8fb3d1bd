using System.Net;
using Microsoft.Extensions.Logging;
using TcWorker.Errors;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// At start, hands back the claims an earlier run of the worker left open (it crashed, or was killed):
/// each is resolved exception/worker-shutdown with the run's own recorded credentials, so the queue
/// reruns the task at once instead of when the claim expires. Then the record is forgotten.
/// </summary>
internal static class LeftoverClaims
{
    /// <summary>How long the queue may take, in all, before the rest are left to expire.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Resolves what the record in <paramref name="folder"/> holds and deletes the record. Never throws.</summary>
    /// <param name="folder">The worker's temporary folder, already opened (locked) by this worker.</param>
    /// <param name="queue">A queue client; each call uses the recorded run's credentials.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where the count and failures go.</param>
    /// <param name="cancellationToken">Stops resolving (the worker is stopped now): the rest are left to expire.</param>
    /// <returns>How many runs were resolved.</returns>
    public static async Task<int> ResolveAsync(string folder, QueueClient queue, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
    {
        var claims = ClaimRecord.Read(folder, out var problem);
        if (problem is not null)
        {
            WorkerLog.ClaimRecordUnreadable(logger, Path.Combine(folder, ClaimRecord.FileName), problem);
        }

        int resolved = 0, gone = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        await Parallel.ForEachAsync(claims, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (claim, _) =>
        {
            if (claim.TakenUntil <= time.GetUtcNow())
            {
                Interlocked.Increment(ref gone);
                return;
            }

            try
            {
                await queue.WithCredentials(claim.Credentials).ReportExceptionAsync(claim.TaskId, claim.RunId, ExceptionReason.WorkerShutdown.ToWireString(), timeout.Token).ConfigureAwait(false);
                Interlocked.Increment(ref resolved);
            }
            catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Resolved meanwhile (cancelled, deadline, expired): nothing left to hand back.
                Interlocked.Increment(ref gone);
            }
            catch (Exception e)
            {
                // Also when stopped now or out of time: the claim then expires, as without a record.
                WorkerLog.LeftoverClaimFailed(logger, claim.TaskId, claim.RunId, e.Message);
            }
        }).ConfigureAwait(false);

        if (claims.Count > 0)
        {
            WorkerLog.LeftoverClaims(logger, claims.Count, resolved, gone);
        }

        try
        {
            ClaimRecord.Forget(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WorkerLog.ClaimRecordUnreadable(logger, Path.Combine(folder, ClaimRecord.FileName), "it could not be deleted: " + e.Message);
        }

        return resolved;
    }
}
