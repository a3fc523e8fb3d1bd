using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// systemd's watchdog (<c>WatchdogSec=</c>): sends <c>WATCHDOG=1</c> every half of <c>WATCHDOG_USEC</c>
/// while the claim loop moves, and none while it is stalled (<see cref="ClaimLoopProgress"/>: a step that
/// took longer than <c>WATCHDOG_USEC</c>), so that systemd restarts a worker whose loop hangs. Does nothing
/// without a systemd notifier, without <c>WATCHDOG_USEC</c>, or when <c>WATCHDOG_PID</c> names another process.
/// </summary>
internal sealed partial class SystemdWatchdog(ClaimLoopProgress progress, TimeProvider time, ILogger<SystemdWatchdog> logger, ISystemdNotifier? notifier = null) : BackgroundService
{
    /// <summary>The shortest window the claim loop fits in: a claimWork long poll lasts up to 20 s.</summary>
    internal static readonly TimeSpan ShortestSensibleWindow = TimeSpan.FromSeconds(30);

    /// <summary>The watchdog's window from the environment systemd sets; null when the watchdog is off for this process.</summary>
    internal static TimeSpan? Window(Func<string, string?> environment)
    {
        if (environment("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return long.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifier is not { IsEnabled: true } || Window(Environment.GetEnvironmentVariable) is not { } window)
        {
            return;
        }

        if (window < ShortestSensibleWindow)
        {
            ShortWindow(logger, window.TotalSeconds, ShortestSensibleWindow.TotalSeconds);
        }

        var stalled = false;
        using var timer = new PeriodicTimer(window / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (progress.IsStalled(window))
                {
                    if (!stalled)
                    {
                        Stalled(logger, window.TotalSeconds);
                    }

                    stalled = true;
                    continue;
                }

                if (stalled)
                {
                    Moving(logger);
                }

                stalled = false;
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops.
        }
    }

    [LoggerMessage(1061, LogLevel.Warning, "The claim loop has not moved for {Seconds} s (WATCHDOG_USEC): no watchdog pings until it does, so systemd may restart the worker")]
    private static partial void Stalled(ILogger logger, double seconds);

    [LoggerMessage(1062, LogLevel.Information, "The claim loop moves again; watchdog pings resume")]
    private static partial void Moving(ILogger logger);

    [LoggerMessage(1063, LogLevel.Warning, "WATCHDOG_USEC is {Seconds} s, shorter than a claimWork long poll can take ({Shortest} s): set WatchdogSec= to at least 60 s, or the worker is restarted while it waits for work")]
    private static partial void ShortWindow(ILogger logger, double seconds, double shortest);
}
