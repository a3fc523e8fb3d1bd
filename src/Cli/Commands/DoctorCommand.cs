using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Cli.Doctor;

namespace TcWorker.Cli.Commands;

internal static class DoctorCommand
{
    /// <summary>The exit code when a check failed.</summary>
    public const int Failed = 1;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = CommonOptions.Config(required: true);
        var directories = CommonOptions.PluginDirectories();
        var command = new Command("doctor", "Check what the worker of a config needs from this host: the engines' health, free disk space, the clock against the queue's, the credentials and their scopes for claiming, and the webhook server's advertised URL. One line each (ok, warn, fail) with a fix. Exit codes: 0 nothing failed, 1 a check failed, 66 missing config file, 78 unreadable config.")
        {
            config,
            directories,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = CommonOptions.LoadConfig(parse.GetValue(config)!, error);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? [], loaded);
            var checks = await new WorkerDoctor(loaded, registry, NullLoggerFactory.Instance).RunAsync(cancellationToken).ConfigureAwait(false);
            foreach (var check in checks)
            {
                await output.WriteLineAsync(check.ToString()).ConfigureAwait(false);
            }

            return checks.Any(c => c.Status == DoctorStatus.Fail) ? Failed : ExitCodes.Success;
        });
        return command;
    }
}
