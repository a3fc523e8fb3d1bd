using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Telemetry;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.Cli.Commands;

internal static class WorkCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = CommonOptions.Config(required: true);
        var directories = CommonOptions.PluginDirectories();
        var withWorkerRunner = CommonOptions.WithWorkerRunner();
        var command = new Command("work", "Claim and run tasks from the Taskcluster deployment the config names, until stopped. SIGTERM or SIGINT stops gracefully (no more claims; running tasks get the grace period, then resolve worker-shutdown); a second signal stops now. Exit codes: 0 stopped, 69 engine unavailable (at start, or unhealthy for worker.unhealthyTimeout), 70 fatal error, 78 invalid config.")
        {
            config,
            directories,
            withWorkerRunner,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(config)!, parse.GetValue(directories) ?? [], parse.GetValue(withWorkerRunner), error));
        return command;
    }

    /// <summary>
    /// Runs a worker from a config file on the .NET Generic Host; shared by <c>work</c> and worker-runner's
    /// <c>run --with-worker-runner</c>. Under systemd (<c>Type=notify</c>) the host reports READY=1 once
    /// every engine has started and STOPPING=1 when it stops; as a Windows service it runs under the
    /// service control manager.
    /// </summary>
    public static async Task<int> RunAsync(FileInfo config, string[] directories, bool withWorkerRunner, TextWriter error)
    {
        var loaded = CommonOptions.LoadConfig(config, error, withWorkerRunner);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "tc-worker", ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, json: TelemetryOptions.JsonLogsIn(loaded));
        ServiceManagers.Add(builder.Services);
        var worker = CommonOptions.AddRegistry(builder.Services, directories, loaded).AddHostedWorker(loaded);
        if (withWorkerRunner)
        {
            worker.Services.AddSingleton(new WorkerRunnerChannel(Console.In, Console.Out));
        }

        using var host = builder.Build();
        using var signals = StopOnSignals(host.Services.GetRequiredService<WorkerLifetime>());
        var outcome = host.Services.GetRequiredService<WorkerOutcome>();
        try
        {
            await host.RunAsync().ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            throw new CliException(ExitCodes.Config, new ConfigException(loaded.Source, [.. e.Failures]).Message);
        }
        catch (Exception e) when (e is ConfigException or EngineStartException)
        {
            throw new CliException(WorkerExitCodes.For(e), e.Message);
        }

        return outcome.Reason == WorkerStopReason.Unhealthy
            ? throw new CliException(ExitCodes.Unavailable, UnhealthyMessage)
            : outcome.ExitCode;
    }

    /// <summary>
    /// Runs the worker host for <c>work</c>, <c>run</c> and <c>local</c>: a config it cannot use, an engine that
    /// does not start, and engines unhealthy for too long become errors with their exit codes and messages.
    /// </summary>
    public static async Task<WorkerStopReason> RunHostAsync(WorkerConfig config, ComponentRegistry registry, WorkerLifetime lifetime, ILoggerFactory loggerFactory, (TextReader Input, TextWriter Output)? runner = null)
    {
        WorkerStopReason reason;
        try
        {
            reason = await WorkerHost.RunAsync(config, registry, lifetime, loggerFactory, runner: runner).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConfigException or EngineStartException)
        {
            throw new CliException(WorkerExitCodes.For(e), e.Message);
        }

        return reason == WorkerStopReason.Unhealthy
            ? throw new CliException(ExitCodes.Unavailable, UnhealthyMessage)
            : reason;
    }

    private const string UnhealthyMessage = "stopped: the engines stayed unhealthy for worker.unhealthyTimeout; the log above says which and why";

    /// <summary>
    /// The worker's own log: one line per event on standard error, scoped by task and run; with
    /// <paramref name="json"/> (<c>telemetry.logFormat: json</c>) one JSON object per line instead.
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory(LogLevel minimum = LogLevel.Information, bool json = false) => LoggerFactory.Create(logging => ConfigureLogging(logging, minimum, json));

    /// <summary>
    /// The worker's logging, the one place both the hosted worker and <see cref="CreateLoggerFactory"/>
    /// configure it: one line per event on standard error, scoped by task and run, or one JSON object per
    /// line with <paramref name="json"/>. URLs in either lose their query strings and secret-looking path segments.
    /// </summary>
    public static ILoggingBuilder ConfigureLogging(ILoggingBuilder logging, LogLevel minimum = LogLevel.Information, bool json = false)
    {
        logging.SetMinimumLevel(minimum).AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        if (json)
        {
            logging.AddJsonConsole(console =>
            {
                console.IncludeScopes = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                console.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(console =>
            {
                console.IncludeScopes = true;
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }

        return RedactingLoggerProvider.RedactConsole(logging).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning);
    }

    /// <summary>The first SIGTERM or SIGINT stops gracefully; the second stops now.</summary>
    public static IDisposable StopOnSignals(WorkerLifetime lifetime)
    {
        var signals = 0;
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                lifetime.StopGracefully();
            }
            else
            {
                lifetime.StopNow();
            }
        }

        return new Registrations(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
    }

    private sealed class Registrations(params IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
