using System.Diagnostics;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// The worker's spans on the <see cref="SourceName"/> activity source: <c>tcworker.task.run</c> for each
/// claimed run, from claim to resolution, and under it a <c>tcworker.task.stage</c> span for each stage
/// of the run (prepare, build, start, started, wait, stopped, finished, exception, dispose) and for the
/// log upload and the resolution. The queue calls they make are children of them (see the client's
/// <c>TcWorker.Taskcluster</c> source).
/// </summary>
public static class WorkerTracing
{
    /// <summary>The activity source's name: <c>TcWorker</c>.</summary>
    public const string SourceName = "TcWorker";

    /// <summary>The name of a run's span.</summary>
    public const string RunSpan = "tcworker.task.run";

    /// <summary>The name of a stage's span; its <c>tcworker.stage</c> attribute names the stage.</summary>
    public const string StageSpan = "tcworker.task.stage";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a run's span (null when nobody listens).</summary>
    internal static Activity? StartRun(string taskId, int runId, string workerPoolId)
    {
        var activity = Source.StartActivity(RunSpan, ActivityKind.Internal, parentContext: default);
        activity?.SetTag("tc.task.id", taskId);
        activity?.SetTag("tc.run.id", runId);
        activity?.SetTag("tc.worker_pool.id", workerPoolId);
        return activity;
    }

    /// <summary>Starts a stage's span under the current run's (null when nobody listens).</summary>
    internal static Activity? StartStage(string stage)
    {
        var activity = Source.StartActivity(StageSpan);
        if (activity is not null)
        {
            activity.DisplayName = "tcworker.task.stage " + stage;
            activity.SetTag("tcworker.stage", stage);
        }

        return activity;
    }

    /// <summary>Records how the run resolved on its span.</summary>
    internal static void Resolved(Activity? run, string state, string? reason)
    {
        if (run is null)
        {
            return;
        }

        run.SetTag("tc.resolution.state", state);
        run.SetTag("tc.resolution.reason", reason ?? state);
        if (state == "exception")
        {
            run.SetStatus(ActivityStatusCode.Error, reason);
        }
    }
}
