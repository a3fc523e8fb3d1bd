using Microsoft.Extensions.Logging;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// Tells the enabled plugins what happens to the worker between runs: that it is idle
/// (<see cref="Plugins.IPlugin.ReportIdle"/>, about once a minute) and that a run ended in a non-fatal
/// internal error (<see cref="Plugins.IPlugin.ReportNonFatalError"/>). A plugin that throws is logged
/// and the others are still told. Thread-safe.
/// </summary>
internal sealed class PluginReports(IReadOnlyList<NamedPlugin> plugins, TimeProvider time, ILogger logger)
{
    /// <summary>How often an idle worker tells its plugins.</summary>
    public static readonly TimeSpan IdlePeriod = TimeSpan.FromMinutes(1);

    /// <summary>Whether an outcome is an <c>exception/internal-error</c> caused by a non-fatal error.</summary>
    /// <param name="outcome">A run's outcome.</param>
    /// <returns>True when the plugins are told.</returns>
    public static bool IsNonFatalInternalError(TaskRunOutcome? outcome) =>
        outcome is { State: TaskRunState.Exception, Reason: ExceptionReason.InternalError, Fatal: false, Error: not null };

    /// <summary>Tells every plugin about the error of an outcome, if it is a non-fatal internal error.</summary>
    /// <param name="outcome">A run's outcome; null when the queue took the run back.</param>
    public void RunEnded(TaskRunOutcome? outcome)
    {
        if (IsNonFatalInternalError(outcome))
        {
            Tell(nameof(Plugins.IPlugin.ReportNonFatalError), plugin => plugin.ReportNonFatalError(outcome!.Error!));
        }
    }

    /// <summary>Every <see cref="IdlePeriod"/>, tells every plugin how long the worker has been idle, if it is.</summary>
    /// <param name="idleSince">Since when the worker runs no task; null while it runs one.</param>
    /// <param name="stopping">Ends the reports.</param>
    /// <returns>When stopped.</returns>
    public async Task RunAsync(Func<DateTimeOffset?> idleSince, CancellationToken stopping)
    {
        if (plugins.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(IdlePeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (idleSince() is { } since)
                {
                    var idleFor = time.GetUtcNow() - since;
                    Tell(nameof(Plugins.IPlugin.ReportIdle), plugin => plugin.ReportIdle(idleFor));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The worker stops.
        }
    }

    private void Tell(string member, Action<Plugins.IPlugin> call)
    {
        foreach (var plugin in plugins)
        {
            try
            {
                call(plugin.Plugin);
            }
            catch (Exception e)
            {
                WorkerLog.PluginReportFailed(logger, plugin.Name, member, $"{e.GetType().Name}: {e.Message}");
            }
        }
    }
}
