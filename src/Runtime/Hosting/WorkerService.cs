using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// The worker as a hosted service. Starting it composes the worker (temporary folder, webhook server,
/// engines and plugins) and starts every engine; the host counts as started (systemd's READY=1) only
/// then. The claim loop runs in the background; when it ends by itself (task limit, idle timeout, a
/// fatal error, engines unhealthy) the service stops the host. Stopping the host stops the worker
/// gracefully; the stop's token cancelled stops it now (running tasks resolve worker-shutdown).
/// </summary>
internal sealed partial class WorkerService(
    WorkerConfig config,
    ComponentRegistry registry,
    IOptions<WorkerOptions> options,
    WorkerLifetime lifetime,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime host,
    WorkerOutcome outcome,
    ClaimLoopProgress progress,
    TimeProvider time,
    WorkerRunnerChannel? runner = null) : IHostedService
{
    private readonly ILogger logger = loggerFactory.CreateLogger<WorkerService>();
    private Task<WorkerStopReason>? run;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = runner is null ? ((TextReader, TextWriter)?)null : (runner.Input, runner.Output);
        run = Task.Run(() => WorkerHost.RunValidatedAsync(config, registry, options.Value, lifetime, loggerFactory, time, channel, progress, () => started.TrySetResult()), CancellationToken.None);
        _ = run.ContinueWith(Ended, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // A stop asked for while the engines start ends the start (the worker then claims nothing).
        await using (cancellationToken.Register(lifetime.StopGracefully).ConfigureAwait(false))
        {
            await Task.WhenAny(started.Task, run).ConfigureAwait(false);
        }

        if (run.IsFaulted)
        {
            await run.ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lifetime.StopGracefully();
        if (run is null)
        {
            return;
        }

        await using (cancellationToken.Register(lifetime.StopNow).ConfigureAwait(false))
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ConfigException or EngineStartException)
            {
                // Reported by StartAsync already, and kept in the outcome.
            }
        }
    }

    private void Ended(Task<WorkerStopReason> ended)
    {
        if (ended.IsCompletedSuccessfully)
        {
            outcome.Reason = ended.Result;
            WorkerEnded(logger, ended.Result);
        }
        else
        {
            outcome.Error = ended.Exception?.InnerException ?? ended.Exception;
        }

        host.StopApplication();
    }

    [LoggerMessage(1060, LogLevel.Debug, "The worker ended ({Reason}); stopping the host")]
    private static partial void WorkerEnded(ILogger logger, WorkerStopReason reason);
}

/// <summary>worker-runner's protocol channel (its stdin and stdout), when the worker was started by it.</summary>
/// <param name="Input">What worker-runner writes.</param>
/// <param name="Output">What worker-runner reads.</param>
internal sealed record WorkerRunnerChannel(TextReader Input, TextWriter Output);
