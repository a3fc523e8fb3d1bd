using Microsoft.Extensions.Time.Testing;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Tests.Worker;

/// <summary>What the plugins hear between runs: idle time, and non-fatal internal errors.</summary>
public sealed class PluginReportsTests
{
    private readonly FakeTimeProvider time = new();
    private readonly ListLogger logger = new();

    [Fact]
    public async Task An_idle_worker_tells_every_plugin_once_a_minute_a_busy_one_nothing_and_a_throwing_plugin_stops_no_one()
    {
        var thrower = new RecordingPlugin(throws: true);
        var listener = new RecordingPlugin();
        var reports = new PluginReports([new NamedPlugin("thrower", thrower), new NamedPlugin("listener", listener)], time, logger);
        DateTimeOffset? idleSince = null;
        var asked = 0;
        using var stop = new CancellationTokenSource();

        var reporting = reports.RunAsync(() => { Interlocked.Increment(ref asked); return idleSince; }, stop.Token);
        await time.AdvanceUntilAsync(() => Volatile.Read(ref asked) == 1, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2));
        Assert.Empty(listener.Idle);

        idleSince = time.GetUtcNow() - TimeSpan.FromSeconds(30);
        await time.AdvanceUntilAsync(() => listener.Idle.Count == 2, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(3));
        await stop.CancelAsync();
        await reporting;

        Assert.InRange(listener.Idle[0], TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90));
        Assert.InRange(listener.Idle[1] - listener.Idle[0], TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(61));
        Assert.Equal(2, thrower.Idle.Count);
        Assert.Equal(2, logger.Messages(1022).Count);
        Assert.Contains("Plugin 'thrower' threw from ReportIdle: InvalidOperationException: idle reports are not welcome here", logger.Messages(1022));
    }

    [Fact]
    public void Only_an_internal_error_caused_by_a_non_fatal_error_is_reported()
    {
        var listener = new RecordingPlugin();
        var reports = new PluginReports([new NamedPlugin("thrower", new RecordingPlugin(throws: true)), new NamedPlugin("listener", listener)], time, logger);
        var nonFatal = new NonFatalInternalException("the daemon dropped the connection");
        TaskRunOutcome?[] outcomes =
        [
            null,
            new() { State = TaskRunState.Completed },
            new() { State = TaskRunState.Failed, ExitCode = 1 },
            new() { State = TaskRunState.Exception, Reason = ExceptionReason.MalformedPayload, Error = new MalformedPayloadException("bad") },
            new() { State = TaskRunState.Exception, Reason = ExceptionReason.WorkerShutdown },
            new() { State = TaskRunState.Exception, Reason = ExceptionReason.InternalError, Fatal = true, Error = new FatalInternalException("broken") },
            new() { State = TaskRunState.Exception, Reason = ExceptionReason.InternalError, Error = nonFatal },
        ];

        foreach (var outcome in outcomes)
        {
            reports.RunEnded(outcome);
        }

        Assert.Same(nonFatal, Assert.Single(listener.Errors));
        Assert.Equal(["Plugin 'thrower' threw from ReportNonFatalError: InvalidOperationException: error reports are not welcome here"], logger.Messages(1022));
    }
}
